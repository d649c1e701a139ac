"""Deterministic test data for the ingest benchmark: participants and deals, canonical shape.

The same seed gives the same files and the same API batches. About 10% of the deals are
split between two or three participants (the owner among them).

    python -m bench.ingest.generate --deals 1000000 --participants 10000
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "out"
SEED = 20260331

PRODUCTS = ("platform", "analytics", "services", "support", "training")
REGIONS = ("east", "west", "central", "emea", "apac")
SOURCES = ("web", "partner", "event", "outbound")
SPLITS = (("50", "50"), ("60", "40"), ("70", "30"), ("40", "30", "30"), ("34", "33", "33"))
DEAL_COLUMNS = (
    "external_id", "owner", "amount", "currency", "close_date", "status", "product",
    "cancel_date", "splits", "region", "source",
)  # fmt: skip
PARTICIPANT_COLUMNS = ("external_id", "name", "email", "currency", "start_date")


def participant_id(n: int) -> str:
    """External id of the n-th participant (0-based)."""
    return f"P{n:06d}"


def participant_items(count: int) -> Iterator[dict[str, Any]]:
    """``count`` participants, all paid in USD."""
    for n in range(count):
        yield {
            "external_id": participant_id(n),
            "name": f"Rep {n:06d}",
            "email": f"rep{n:06d}@example.com",
            "currency": "USD",
            "start_date": "2024-01-01",
        }


def deal_items(count: int, participants: int, seed: int = SEED) -> Iterator[dict[str, Any]]:
    """``count`` deals as canonical items (API shape), owners among ``participants``."""
    rng = random.Random(seed)
    first = dt.date(2025, 1, 1).toordinal()
    for n in range(count):
        owner = rng.randrange(participants)
        roll = rng.random()
        status = "won" if roll < 0.7 else "lost" if roll < 0.9 else "open" if roll < 0.98 else ""
        close = dt.date.fromordinal(first + rng.randrange(730))
        item: dict[str, Any] = {
            "external_id": f"D{n:08d}",
            "owner": participant_id(owner),
            "amount": f"{rng.randrange(100, 20_000_000) / 100:.2f}",
            "currency": "USD",
            "close_date": close.isoformat(),
            "status": status or "cancelled",
            "product": PRODUCTS[n % len(PRODUCTS)],
            "attributes": {"region": rng.choice(REGIONS), "source": rng.choice(SOURCES)},
        }
        if not status:
            item["cancel_date"] = (close + dt.timedelta(days=rng.randrange(1, 60))).isoformat()
        if rng.random() < 0.1:
            shares = rng.choice(SPLITS)
            others = rng.sample(range(participants), len(shares))
            people = [owner, *(p for p in others if p != owner)][: len(shares)]
            item["splits"] = [
                {"participant": participant_id(p), "percent": pct}
                for p, pct in zip(people, shares, strict=True)
            ]
        yield item


def deal_row(item: dict[str, Any]) -> list[str]:
    """A deal item as a row of the canonical CSV (splits as ``a:60;b:40``)."""
    splits = ";".join(f"{s['participant']}:{s['percent']}" for s in item.get("splits") or ())
    return [
        item["external_id"], item["owner"], item["amount"], item["currency"],
        item["close_date"], item["status"], item["product"], item.get("cancel_date", ""),
        splits, item["attributes"]["region"], item["attributes"]["source"],
    ]  # fmt: skip


def write_participants(count: int, out: Path = OUT) -> Path:
    """The participants file (written once per size)."""
    path = out / f"participants_{count}.csv"
    if not path.exists():
        out.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(PARTICIPANT_COLUMNS)
            writer.writerows([p[c] for c in PARTICIPANT_COLUMNS] for p in participant_items(count))
    return path


def write_deals(count: int, participants: int, out: Path = OUT) -> Path:
    """The deals file (written once per size), streamed: memory stays flat."""
    path = out / f"deals_{count}_{participants}.csv"
    if not path.exists():
        out.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        with partial.open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(DEAL_COLUMNS)
            writer.writerows(deal_row(i) for i in deal_items(count, participants))
        partial.rename(path)
    return path


def main() -> None:
    """Write the files for the sizes asked."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--participants", type=int, default=10_000)
    args = parser.parse_args()
    print(write_participants(args.participants))
    print(write_deals(args.deals, args.participants))


if __name__ == "__main__":
    main()
