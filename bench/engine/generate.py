"""Deterministic columnar data for the engine benchmark, saved as one ``.npz`` file.

10,000 participants by default: 90% reps, each under one of 900 managers, who report to one
of 100 directors (two levels of rollup). About 10% of deals are split between the owner
and another rep; 10% are in EUR; 3% are cancelled, most within the clawback window; 5% of
reps are 2026 hires on a draw.

    python -m bench.engine.generate --deals 5000000 --participants 10000
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

OUT = Path(__file__).resolve().parent.parent / "out"
SEED = 20260401
YEAR_START = dt.date(2026, 1, 1).toordinal()
PRODUCTS = ("Analytics", "Core", "Platform", "Services")
DEAL_TYPES = ("new_business", "renewal")
STATUSES = ("cancelled", "lost", "open", "won")
# EUR to USD, one rate per month of 2026, as (numerator, denominator) of an exact decimal.
EUR_RATES = tuple((10800 + 25 * m, 10000) for m in range(12))
SPLIT_SHARES = ((500000, 500000), (600000, 400000), (700000, 300000))


def data_path(deals: int, participants: int) -> Path:
    """Where the data set of a given size is stored."""
    return OUT / f"engine_{deals}_{participants}.npz"


def generate(deals: int, participants: int, seed: int = SEED) -> dict[str, npt.NDArray[Any]]:
    """The benchmark data set as named arrays (all integers)."""
    rng = np.random.default_rng(seed)
    directors = max(participants // 100, 1)
    managers = max(participants * 9 // 100, 1)
    reps = participants - managers - directors
    person = np.arange(participants)
    start = np.full(participants, dt.date(2020, 1, 1).toordinal(), np.int32)
    hires = rng.random(reps) < 0.05
    start[:reps][hires] = YEAR_START + rng.integers(0, 300, int(hires.sum()))
    manager = np.full(participants, -1, np.int32)
    manager[:reps] = reps + person[:reps] % managers
    manager[reps : reps + managers] = reps + managers + person[:managers] % directors
    quota = np.where(person < reps, 150_000_000, 0)  # 1.5M a quarter for reps
    quota[reps : reps + managers] = 1_200_000_000
    quota[reps + managers :] = 10_000_000_000

    owner = rng.integers(0, reps, deals).astype(np.int32)
    close = (YEAR_START + rng.integers(0, 365, deals)).astype(np.int32)
    status = rng.choice(4, deals, p=[0.03, 0.05, 0.02, 0.90]).astype(np.int32)
    cancel = np.where(status == 0, close + rng.integers(1, 150, deals), 0).astype(np.int32)
    eur = rng.random(deals) < 0.10
    split = np.flatnonzero(rng.random(deals) < 0.10)
    other = (owner[split] + 1 + rng.integers(0, reps - 1, len(split))) % reps
    kind = rng.integers(0, len(SPLIT_SHARES), len(split))
    shares = np.array(SPLIT_SHARES, np.int64)[kind]
    return {
        "start_day": start,
        "target_incentive": np.full(participants, 4_000_000, np.int64),
        "manager": manager,
        "quota": quota.astype(np.int64),
        "owner": owner,
        "amount": rng.integers(50_000, 3_000_000, deals).astype(np.int64),
        "eur": eur,
        "close_day": close,
        "status": status,
        "product": rng.integers(0, len(PRODUCTS), deals).astype(np.int32),
        "deal_type": rng.integers(0, len(DEAL_TYPES), deals).astype(np.int32),
        "cancel_day": cancel,
        "split_deal": np.repeat(split, 2).astype(np.int64),
        "split_participant": np.stack([owner[split], other], axis=1).ravel().astype(np.int32),
        "split_share": shares.ravel(),
    }


def main() -> None:
    """Write the data set to bench/out/."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deals", type=int, default=5_000_000)
    parser.add_argument("--participants", type=int, default=10_000)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = data_path(args.deals, args.participants)
    np.savez(path, **generate(args.deals, args.participants))  # type: ignore[arg-type]
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
