"""Loading the engine benchmark's generated arrays into a benchmark database, fast.

The deals, splits, hierarchy and start dates are bench/engine/generate.py's (same seed);
quotas and target incentives are set here so that attainment spreads over every tier
and the cap binds for some participants and not others. Everything goes in with COPY in
one transaction, with foreign-key triggers off while loading (the data is consistent by
construction); then the fiscal year is generated and the bench plan published through
the application's own functions.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.engine.generate import (
    DEAL_TYPES,
    EUR_RATES,
    OUT,
    PRODUCTS,
    STATUSES,
    data_path,
    generate,
)
from incentives.audit.log import CLI_ACTOR
from incentives.db.connection import driver_transaction
from incentives.periods.store import generate as generate_year
from incentives.plans.publish import publish

PLAN_FILE = Path(__file__).resolve().parent / "plan.yaml"
PLAN_KEY = "bench-quarterly"
YEAR = 2026
QUARTERS = tuple(f"{YEAR}-Q{k}" for k in range(1, 5))
CHUNK = 250_000
# Quarterly quota in dollars by role, times 0.8 … 1.4 by participant (i % 7).
QUOTA_BASE = {"rep": 1_800_000, "manager": 22_000_000, "director": 200_000_000}


def arrays(deals: int, participants: int) -> dict[str, npt.NDArray[Any]]:
    """The generated data set (read from bench/out/ when it is there, else generated)."""
    path = data_path(deals, participants)
    if path.exists():
        return dict(np.load(path))
    OUT.mkdir(parents=True, exist_ok=True)
    data = generate(deals, participants)
    np.savez(path, **data)  # type: ignore[arg-type]
    return data


def participant_key(row: int) -> str:
    """External id of the participant in row ``row`` (database id ``row + 1``)."""
    return f"p{row:05d}"


def deal_key(row: int) -> str:
    """External id of the generated deal in row ``row`` (database id ``row + 1``)."""
    return f"d{row:07d}"


def roles(participants: int) -> list[str]:
    """Each participant's role, in the generator's layout: reps, managers, directors."""
    directors = max(participants // 100, 1)
    managers = max(participants * 9 // 100, 1)
    reps = participants - managers - directors
    return ["rep"] * reps + ["manager"] * managers + ["director"] * directors


def quota_dollars(row: int, role: str) -> int:
    """The participant's quarterly bookings quota, in dollars."""
    return QUOTA_BASE[role] * (8 + row % 7) // 10


def target_cents(row: int, role: str) -> int:
    """Annual target incentive in cents: 2-5% of four quarters' quota.

    The plan caps a quarter at twice a quarter's target, i.e. at 4-10% of the quota.
    """
    return quota_dollars(row, role) * 100 * 4 * (2 + row % 4) // 100


class _Dates:
    """date objects for day numbers, made once per distinct day."""

    def __init__(self, days: npt.NDArray[Any]) -> None:
        self.first = int(days.min())
        self.table = [dt.date.fromordinal(d) for d in range(self.first, int(days.max()) + 1)]

    def __call__(self, days: npt.NDArray[Any]) -> list[dt.date]:
        table, first = self.table, self.first
        return [table[d - first] for d in days.tolist()]


def _deal_records(data: dict[str, npt.NDArray[Any]], lo: int, hi: int) -> Iterator[tuple[Any, ...]]:
    close = data["close_day"][lo:hi]
    cancel = data["cancel_day"][lo:hi]
    status = data["status"][lo:hi]
    dates = _Dates(np.concatenate([close, cancel[cancel > 0]]))
    attributes = [f'{{"deal_type": "{t}"}}' for t in DEAL_TYPES]
    cancelled = STATUSES.index("cancelled")
    return zip(
        range(lo + 1, hi + 1),
        (deal_key(i) for i in range(lo, hi)),
        (data["owner"][lo:hi] + 1).tolist(),
        data["amount"][lo:hi].tolist(),
        ["EUR" if e else "USD" for e in data["eur"][lo:hi].tolist()],
        dates(close),
        [STATUSES[s] for s in status.tolist()],
        [PRODUCTS[p] for p in data["product"][lo:hi].tolist()],
        [
            dates_one if s == cancelled else None
            for s, dates_one in zip(
                status.tolist(), dates(np.where(cancel > 0, cancel, close)), strict=True
            )
        ],
        [attributes[t] for t in data["deal_type"][lo:hi].tolist()],
        strict=True,
    )


async def populate(engine: AsyncEngine, deals: int, participants: int) -> dict[str, Any]:
    """Fill the (migrated, empty) database; returns the data's shape and the load time."""
    started = time.perf_counter()
    data = arrays(deals, participants)
    role = roles(participants)
    start = [dt.date.fromordinal(d) for d in data["start_day"].tolist()]
    first_day, last_day = dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)
    async with driver_transaction(engine) as conn:
        # Consistent by construction: skip the per-row foreign-key triggers while loading.
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.copy_records_to_table(
            "participants",
            records=[
                (i + 1, participant_key(i), f"Participant {i:05d}", "USD", start[i])
                for i in range(participants)
            ],
            columns=["id", "external_id", "name", "currency", "start_date"],
        )
        manager = data["manager"].tolist()
        await conn.copy_records_to_table(
            "assignments",
            records=[(i + 1, m + 1, start[i]) for i, m in enumerate(manager) if m >= 0],
            columns=["participant_id", "manager_id", "valid_from"],
        )
        for lo in range(0, deals, CHUNK):
            await conn.copy_records_to_table(
                "deals",
                records=_deal_records(data, lo, min(lo + CHUNK, deals)),
                columns=[
                    "id",
                    "external_id",
                    "owner_id",
                    "amount_minor",
                    "currency",
                    "close_date",
                    "status",
                    "product",
                    "cancel_date",
                    "attributes",
                ],
            )
        await conn.copy_records_to_table(
            "deal_splits",
            records=zip(
                (data["split_deal"] + 1).tolist(),
                (data["split_participant"] + 1).tolist(),
                # Shares are millionths of the deal; percents have four decimals here.
                [Decimal(s) / 10_000 for s in data["split_share"].tolist()],
                strict=True,
            ),
            columns=["deal_id", "participant_id", "percent"],
        )
        await conn.copy_records_to_table(
            "quotas",
            records=[
                (i + 1, q, "bookings", quota_dollars(i, role[i]))
                for i in range(participants)
                for q in QUARTERS
            ],
            columns=["participant_id", "period", "measure", "amount"],
        )
        await conn.copy_records_to_table(
            "plan_assignments",
            records=[
                (
                    f"participant:{participant_key(i)}",
                    i + 1,
                    PLAN_KEY,
                    first_day,
                    target_cents(i, role[i]),
                    "USD",
                )
                for i in range(participants)
            ],
            columns=[
                "subject",
                "participant_id",
                "plan_key",
                "valid_from",
                "target_incentive_minor",
                "currency",
            ],
        )
        await conn.copy_records_to_table(
            "fx_rates",
            records=[
                ("EUR", "USD", dt.date(YEAR, m + 1, 1), Decimal(num) / Decimal(den))
                for m, (num, den) in enumerate(EUR_RATES)
            ],
            columns=["currency", "to_currency", "on_date", "rate"],
        )
        for table in ("participants", "deals"):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )
        await conn.execute("RESET session_replication_role")
        await generate_year(conn, YEAR, 1, CLI_ACTOR)
        await publish(conn, PLAN_FILE.read_text(encoding="utf-8"), PLAN_FILE.name, CLI_ACTOR)
    async with driver_transaction(engine) as conn:
        for table in (
            "participants",
            "assignments",
            "plan_assignments",
            "deals",
            "deal_splits",
            "quotas",
        ):
            await conn.execute(f"ANALYZE {table}")
    return {
        "participants": participants,
        "deals": deals,
        "split_deals": len(data["split_deal"]) // 2,
        "won_or_cancelled": int(np.isin(data["status"], [0, 3]).sum()),
        "eur_deals": int(data["eur"].sum()),
        "first_day": str(first_day),
        "last_day": str(last_day),
        "load_s": round(time.perf_counter() - started, 1),
    }
