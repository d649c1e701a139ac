"""Achievements: awarded once whatever is replayed, revoked when their deal is cancelled,
streaks across periods, a new hire's first deal, busy weeks and levels."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.calc.runs import calculate
from incentives.db.connection import driver_transaction
from incentives.games.achievements import evaluate
from incentives.plans.publish import publish
from tests.games.conftest import BIG_DEAL, deal, feed

LEVELS = """
kind: achievement
key: levels
version: 1
name: Level
effective: {from: 2026-01-01, to: 2026-12-31}
when: {type: levels, levels: [{name: bronze, points: 50}, {name: silver, points: 150}]}
"""
DAY = dt.date(2026, 3, 20)


async def publish_all(db: AsyncEngine, *sources: str) -> None:
    async with driver_transaction(db) as conn:
        for number, source in enumerate(sources):
            await publish(conn, source, f"rule-{number}.yaml", CLI_ACTOR)


async def awards(db: AsyncEngine) -> list[tuple[Any, ...]]:
    """(participant, rule, occasion, points, badge, revoked) for every award."""
    async with driver_transaction(db) as conn:
        rows = await conn.fetch(
            "SELECT p.external_id, a.source_key, a.occasion, a.points, a.badge,"
            " a.revoked_reason FROM awards a JOIN participants p ON p.id = a.participant_id"
            " ORDER BY 1, 2, 3"
        )
    return [tuple(r) for r in rows]


@pytest.mark.usefixtures("floor")
async def test_awarded_once_revoked_on_cancellation_and_restored(db: AsyncEngine) -> None:
    await publish_all(db, BIG_DEAL, LEVELS)
    first = await evaluate(db, None, DAY, CLI_ACTOR)
    # D-3 is 2,000 EUR = 2,200 USD (bo); D-4 is 3,000 split between ana and cy. Each of
    # them reaches 50 points: bronze.
    expected = [
        ("ana", "big-deal", "deal:D-4", 50, "big-deal", None),
        ("ana", "levels", "level:bronze", 0, "bronze", None),
        ("bo", "big-deal", "deal:D-3", 50, "big-deal", None),
        ("bo", "levels", "level:bronze", 0, "bronze", None),
        ("cy", "big-deal", "deal:D-4", 50, "big-deal", None),
        ("cy", "levels", "level:bronze", 0, "bronze", None),
    ]
    assert await awards(db) == expected
    assert (first.awarded, first.revoked) == (6, 0)
    # Replaying the deals and evaluating again awards nothing more.
    await feed(db, {"deals": [deal("D-3", "bo", "2000", "2026-03-10", currency="EUR")]})
    again = await evaluate(db, None, DAY, CLI_ACTOR)
    assert (again.awarded, again.revoked, again.restored) == (0, 0, 0)
    assert await awards(db) == expected
    # D-3 is cancelled: bo's award is revoked, and with it bo's level.
    cancelled = deal(
        "D-3",
        "bo",
        "2000",
        "2026-03-10",
        currency="EUR",
        status="cancelled",
        cancel_date="2026-03-25",
    )
    await feed(db, {"deals": [cancelled]})
    async with driver_transaction(db) as conn:
        bo = [await conn.fetchval("SELECT id FROM participants WHERE external_id = 'bo'")]
    revoked = await evaluate(db, bo, DAY, CLI_ACTOR)
    assert (revoked.awarded, revoked.revoked) == (0, 2)
    got = await awards(db)
    assert got[2] == (
        "bo",
        "big-deal",
        "deal:D-3",
        50,
        "big-deal",
        "the deal no longer qualifies (cancelled, lost or changed)",
    )
    assert got[3][5] == "accumulated points fell below the level"
    # Won again after all: the same award stands again, not a second one.
    await feed(db, {"deals": [deal("D-3", "bo", "2000", "2026-03-10", currency="EUR")]})
    restored = await evaluate(db, bo, DAY, CLI_ACTOR)
    assert (restored.awarded, restored.restored) == (0, 2)
    assert await awards(db) == expected


STREAK = """
kind: achievement
key: hat-trick
version: 1
name: Hat trick
effective: {from: 2026-01-01, to: 2026-12-31}
when: {type: streak, measure: bookings, periods: 3, attainment: 100%, period: quarter}
points: 300
badge: hat-trick
"""
PLAN = """
kind: commission
key: flat
version: 1
name: Flat
effective: {from: 2026-01-01, to: 2026-12-31}
payout_currency: USD
period: quarter
measures:
  - {key: bookings, name: Bookings, source: deals, aggregate: sum, quota: true}
components:
  - {key: commission, name: Commission, type: rate, measure: bookings, rate: 10%}
"""


@pytest.mark.usefixtures("floor")
async def test_a_streak_of_three_quarters_at_quota(db: AsyncEngine) -> None:
    await publish_all(db, PLAN, STREAK)
    quotas = [
        {"participant": p, "period": q, "measure": "bookings", "amount": "5000"}
        for p in ("ana", "cy")
        for q in ("2026-Q2", "2026-Q3")
    ]
    # Q1 quotas (floor): ana 10,000 (3,000 booked: 30%); cy 2,000 (half of D-4, D-5 and
    # Q1-cy: 2,500, 125%). Q2 and Q3: 5,000 each, which cy books exactly (100% counts).
    await feed(
        db,
        {
            "plan_assignments": [
                {"plan": "flat", "participant": p, "valid_from": "2026-01-01", "currency": "USD"}
                for p in ("ana", "cy")
            ],
            "quotas": quotas,
            "deals": [
                deal("Q1-cy", "cy", "600", "2026-02-10"),
                deal("Q2-ana", "ana", "5000", "2026-05-10"),
                deal("Q2-cy", "cy", "5000", "2026-05-10"),
                deal("Q3-ana", "ana", "6000", "2026-08-10"),
                deal("Q3-cy", "cy", "5000", "2026-09-30"),
            ],
        },
    )
    run = await calculate(db, period="2026", trigger="cli", actor=CLI_ACTOR)
    assert run.status == "succeeded"
    # While Q3 runs, no streak is complete.
    await evaluate(db, None, dt.date(2026, 9, 30), CLI_ACTOR)
    assert await awards(db) == []
    # Once Q3 has ended: cy was at or above 100% for Q1, Q2 and Q3; ana missed Q1.
    await evaluate(db, None, dt.date(2026, 10, 1), CLI_ACTOR)
    assert await awards(db) == [("cy", "hat-trick", "streak:2026-Q3", 300, "hat-trick", None)]


FIRST_DEAL = """
kind: achievement
key: first-deal
version: 1
name: First deal
effective: {from: 2026-01-01, to: 2026-12-31}
when: {type: first_deal, within_days: 30}
badge: first-blood
"""
BUSY_WEEK = """
kind: achievement
key: busy-week
version: 1
name: Busy week
effective: {from: 2026-01-01, to: 2026-12-31}
when: {type: activities, at_least: 3, per: week, where: {field: type, equals: meeting}}
points: 20
"""


def meeting(key: str, who: str, at: str, kind: str = "meeting") -> dict[str, Any]:
    return {"external_id": key, "participant": who, "type": kind, "occurred_at": at}


@pytest.mark.usefixtures("floor")
async def test_a_new_hires_first_deal_and_busy_weeks(db: AsyncEngine) -> None:
    await publish_all(db, FIRST_DEAL, BUSY_WEEK)
    hire = {"external_id": "dee", "name": "Dee", "currency": "USD", "start_date": "2026-03-01"}
    await feed(
        db,
        {
            "participants": [hire],
            "deals": [deal("D-10", "dee", "100", "2026-03-18")],
            "activities": [
                # Monday to Sunday of ISO week 11, then one on the next Monday.
                meeting("A-1", "cy", "2026-03-09T09:00:00+00:00"),
                meeting("A-2", "cy", "2026-03-11T09:00:00+00:00"),
                meeting("A-3", "cy", "2026-03-15T23:30:00+00:00"),
                meeting("A-4", "ana", "2026-03-13T09:00:00+00:00"),
                meeting("A-5", "ana", "2026-03-14T09:00:00+00:00"),
                meeting("A-6", "ana", "2026-03-16T09:00:00+00:00"),
                meeting("A-7", "ana", "2026-03-12T09:00:00+00:00", kind="call"),
            ],
        },
    )
    await evaluate(db, None, DAY, CLI_ACTOR)
    # dee's first deal came 17 days after the start; the others started in 2025.
    assert await awards(db) == [
        ("cy", "busy-week", "week:2026-W11", 20, None, None),
        ("dee", "first-deal", "first-deal", 0, "first-blood", None),
    ]
