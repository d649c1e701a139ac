"""Deterministic data for the games benchmark, loaded through the application's own code.

10,000 participants (bench/ingest/generate.py's) in 100 teams of 100, Q1 2026 quotas, a
month of deals (about 10% split between two) and meetings, and 20 live contests over
March 2026 of every kind: individuals and teams (summed and averaged), raw score and
percent of target, amounts, counts and points, tie-break by who reached first or shared.
Everyone is eligible for every contest, so each deal moves all 20 boards: the worst case.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bench.ingest.generate import participant_id, participant_items
from incentives.audit.log import CLI_ACTOR
from incentives.db.connection import driver_transaction
from incentives.games import contests
from incentives.ingest.service import ingest
from incentives.periods.store import generate as generate_year

SEED = 20260320
CONTESTS = 20
TEAM_SIZE = 100
WINDOW = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
TODAY = dt.date(2026, 3, 20)
PRODUCTS = ("Platform", "Analytics", "Services")
BATCH = 10_000


def team_of(n: int) -> str:
    """The team of the n-th participant."""
    return f"T{n // TEAM_SIZE:03d}"


def _batches(items: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for item in items:
        batch.append(item)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def deal(
    n: int, owner: int, rng: random.Random, day: dt.date, participants: int, prefix: str = "D"
) -> dict[str, Any]:
    """A won deal in March 2026 (10% split half and half with another participant)."""
    item: dict[str, Any] = {
        "external_id": f"{prefix}{n:08d}",
        "owner": participant_id(owner),
        "amount": f"{rng.randrange(1_000, 50_000)}.{rng.randrange(100):02d}",
        "currency": "USD",
        "close_date": day.isoformat(),
        "status": "won",
        "product": rng.choice(PRODUCTS),
    }
    if rng.random() < 0.1:
        partner = (owner + 1 + rng.randrange(50)) % participants
        item["splits"] = [
            {"participant": participant_id(owner), "percent": "50"},
            {"participant": participant_id(partner), "percent": "50"},
        ]
    return item


def _deals(count: int, participants: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(SEED)
    days = (TODAY - WINDOW[0]).days + 1
    for n in range(count):
        day = WINDOW[0] + dt.timedelta(days=rng.randrange(days))
        yield deal(n, rng.randrange(participants), rng, day, participants)


def _meetings(count: int, participants: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(SEED + 1)
    start = dt.datetime.combine(WINDOW[0], dt.time(8), tzinfo=dt.UTC)
    hours = ((TODAY - WINDOW[0]).days + 1) * 24
    for n in range(count):
        yield {
            "external_id": f"M{n:08d}",
            "participant": participant_id(rng.randrange(participants)),
            "type": rng.choice(("meeting", "call")),
            "occurred_at": (start + dt.timedelta(hours=rng.randrange(hours))).isoformat(),
        }


def definitions() -> list[dict[str, Any]]:
    """The 20 contests: every combination of scope, basis, score and tie-break."""
    window = {"from": WINDOW[0].isoformat(), "to": WINDOW[1].isoformat()}
    scores: list[dict[str, Any]] = [
        {"type": "total", "source": "deals", "aggregate": "sum"},
        {
            "type": "total",
            "source": "deals",
            "aggregate": "sum",
            "where": {"field": "product", "in": ["Platform", "Analytics"]},
        },
        {"type": "total", "source": "deals", "aggregate": "count"},
        {
            "type": "points",
            "per": [
                {
                    "source": "activities",
                    "points": 10,
                    "where": {"field": "type", "equals": "meeting"},
                },
                {"source": "deals", "points": 50},
            ],
        },
        {
            "type": "total",
            "source": "deals",
            "aggregate": "sum",
            "where": {"field": "amount", "at_least": "10000"},
        },
    ]
    target = {"measure": "bookings", "period": "2026-Q1"}
    out = []
    for n in range(CONTESTS):
        score = scores[n % len(scores)]
        money = score.get("aggregate") == "sum"
        ranking: dict[str, Any] = {"tie_break": "shared" if n % 4 == 3 else "first_to_reach"}
        if money and n % 2:
            ranking |= {"basis": "percent_of_target", "target": target}
        body: dict[str, Any] = {
            "key": f"bench-{n:02d}",
            "name": f"Bench contest {n}",
            "window": window,
            "currency": "USD",
            "score": score,
            "ranking": ranking,
            "prizes": [{"rank": 1, "to_rank": 3, "points": 100, "badge": "podium"}],
        }
        if n >= CONTESTS // 2:
            body |= {"scope": "teams", "team_score": "average" if n % 3 == 0 else "sum"}
        out.append(body)
    return out


async def populate(engine: AsyncEngine, participants: int, deals: int, meetings: int) -> None:
    """Load everything and take the 20 contests live (as on 2026-03-20)."""
    async with driver_transaction(engine) as conn:
        await generate_year(conn, 2026, 1, CLI_ACTOR)
    people = list(participant_items(participants))
    rng = random.Random(SEED + 2)
    loads: list[tuple[str, Iterator[dict[str, Any]]]] = [
        ("participants", iter(people)),
        (
            "assignments",
            (
                {"participant": p["external_id"], "team": team_of(n), "valid_from": "2024-01-01"}
                for n, p in enumerate(people)
            ),
        ),
        (
            "quotas",
            (
                {
                    "participant": p["external_id"],
                    "period": "2026-Q1",
                    "measure": "bookings",
                    "amount": str(rng.randrange(200_000, 1_000_000)),
                }
                for p in people
            ),
        ),
        ("deals", _deals(deals, participants)),
        ("activities", _meetings(meetings, participants)),
    ]
    for kind, items in loads:
        for batch in _batches(items):
            async with driver_transaction(engine) as conn:
                await ingest(conn, kind, batch, CLI_ACTOR)
    for body in definitions():
        async with driver_transaction(engine) as conn:
            contest_id = await contests.create(conn, body, CLI_ACTOR)
            await contests.schedule(conn, contest_id, CLI_ACTOR, TODAY)
        assert await contests.start(engine, contest_id, TODAY, CLI_ACTOR)
