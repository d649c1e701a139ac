"""A small sales floor for contests: three reps in two teams, with deals whose standings
can be checked by hand."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.db.connection import driver_transaction
from incentives.ingest.service import ingest
from incentives.periods.store import generate

Items = dict[str, list[dict[str, Any]]]
# An achievement rule: a badge and 50 points for every won deal of 2,000 or more.
BIG_DEAL = """
kind: achievement
key: big-deal
version: 1
name: Big deal
effective: {from: 2026-01-01, to: 2026-12-31}
currency: USD
when: {type: deal, where: {field: amount, at_least: 2000}}
points: 50
badge: big-deal
"""


def deal(
    key: str, owner: str, amount: str, day: str, *, currency: str = "USD", **more: Any
) -> dict[str, Any]:
    """A won Platform deal unless told otherwise."""
    return {
        "external_id": key,
        "owner": owner,
        "amount": amount,
        "currency": currency,
        "close_date": day,
        "status": "won",
        "product": "Platform",
        **more,
    }


async def feed(db: AsyncEngine, items: Items) -> None:
    """Ingest batches, in order, each kind in one transaction."""
    for kind, batch in items.items():
        async with driver_transaction(db) as conn:
            await ingest(conn, kind, batch, CLI_ACTOR)


@pytest.fixture
async def floor(db: AsyncEngine) -> None:
    """ana and bo in team east, cy in team west; quotas for 2026-Q1; March deals.

    Platform bookings in March 2026 (USD): ana 1,000 + half of 3,000 = 2,500; bo 2,000 EUR
    at 1.1 = 2,200; cy the other half, 1,500. cy's February deal, ana's Analytics deal
    and bo's lost deal do not count.
    """
    async with driver_transaction(db) as conn:
        await generate(conn, 2026, 1, CLI_ACTOR)
    people = [
        {"external_id": p, "name": p.title(), "currency": "USD", "start_date": "2025-01-01"}
        for p in ("ana", "bo", "cy")
    ]
    await feed(
        db,
        {
            "participants": people,
            "assignments": [
                {
                    "participant": "ana",
                    "team": "east",
                    "team_name": "East",
                    "valid_from": "2025-01-01",
                },
                {"participant": "bo", "team": "east", "valid_from": "2025-01-01"},
                {
                    "participant": "cy",
                    "team": "west",
                    "team_name": "West",
                    "valid_from": "2025-01-01",
                },
            ],
            "fx_rates": [
                {"currency": "EUR", "to_currency": "USD", "date": "2026-03-01", "rate": "1.1"}
            ],
            "quotas": [
                {"participant": p, "period": "2026-Q1", "measure": "bookings", "amount": amount}
                for p, amount in (("ana", "10000"), ("bo", "4000"), ("cy", "2000"))
            ],
            "deals": [
                deal("D-1", "ana", "1000", "2026-03-05"),
                deal("D-2", "ana", "500", "2026-03-06", product="Analytics"),
                deal("D-3", "bo", "2000", "2026-03-10", currency="EUR"),
                deal(
                    "D-4",
                    "ana",
                    "3000",
                    "2026-03-12",
                    splits=[
                        {"participant": "ana", "percent": 50},
                        {"participant": "cy", "percent": 50},
                    ],
                ),
                deal("D-5", "cy", "400", "2026-02-28"),
                deal("D-6", "bo", "9000", "2026-03-15", status="lost"),
            ],
        },
    )
