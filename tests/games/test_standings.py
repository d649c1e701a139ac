"""Standings computed in the database match hand-checked figures, whole or incrementally."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.db.connection import driver_transaction
from incentives.games import contests, standings
from incentives.ingest.service import ingest
from incentives.ingest.touched import Touched
from tests.games.conftest import deal

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
BOOKINGS = {
    "type": "total",
    "source": "deals",
    "aggregate": "sum",
    "where": {"field": "product", "equals": "Platform"},
}
DAY = dt.date(2026, 3, 20)


async def live_contest(db: AsyncEngine, **definition: Any) -> int:
    body = {"key": "blitz", "name": "Blitz", "window": MARCH, "currency": "USD", "score": BOOKINGS}
    async with driver_transaction(db) as conn:
        contest_id = await contests.create(conn, {**body, **definition}, CLI_ACTOR)
        await contests.schedule(conn, contest_id, CLI_ACTOR, DAY)
    assert await contests.start(db, contest_id, DAY, CLI_ACTOR)
    return contest_id


async def board(db: AsyncEngine, contest_id: int) -> list[tuple[int, str, Decimal, Any]]:
    """(rank, participant or team, score, ranking value) in board order."""
    async with driver_transaction(db) as conn:
        game = await standings.load(conn, contest_id)
        assert game is not None
        table = "teams" if game.contest.scope == "teams" else "participants"
        names = {r["id"]: r["external_id"] for r in await conn.fetch(f"SELECT * FROM {table}")}
        return [
            (r.rank, names[r.standing.subject], r.standing.score, r.standing.value)
            for r in await standings.ranked(conn, game)
        ]


@pytest.mark.usefixtures("floor")
async def test_individual_bookings(db: AsyncEngine) -> None:
    contest_id = await live_contest(db)
    assert await board(db, contest_id) == [
        (1, "ana", Decimal(2500), Decimal(2500)),
        (2, "bo", Decimal(2200), Decimal(2200)),
        (3, "cy", Decimal(1500), Decimal(1500)),
    ]


@pytest.mark.usefixtures("floor")
async def test_teams_scored_as_the_sum_or_the_average_of_their_members(db: AsyncEngine) -> None:
    summed = await live_contest(db, scope="teams")
    assert await board(db, summed) == [
        (1, "east", Decimal(4700), Decimal(4700)),  # ana 2,500 + bo 2,200
        (2, "west", Decimal(1500), Decimal(1500)),
    ]
    averaged = await live_contest(db, key="avg", scope="teams", team_score="average")
    assert await board(db, averaged) == [
        (1, "east", Decimal(2350), Decimal(2350)),  # (2,500 + 2,200) / 2
        (2, "west", Decimal(1500), Decimal(1500)),
    ]


@pytest.mark.usefixtures("floor")
async def test_percent_of_target_lets_a_small_quota_win(db: AsyncEngine) -> None:
    # March is 31 of Q1's 90 days: targets are ana 3,444.44…, bo 1,377.77…, cy 688.88….
    contest_id = await live_contest(
        db,
        ranking={
            "basis": "percent_of_target",
            "target": {"measure": "bookings", "period": "2026-Q1"},
        },
    )
    assert [(rank, who, value) for rank, who, _, value in await board(db, contest_id)] == [
        (1, "cy", Decimal("2.17741935")),  # 1,500 / (2,000 × 31 / 90)
        (2, "bo", Decimal("1.59677419")),  # 2,200 / (4,000 × 31 / 90)
        (3, "ana", Decimal("0.72580645")),  # 2,500 / (10,000 × 31 / 90)
    ]


@pytest.mark.usefixtures("floor")
async def test_whoever_reached_the_score_first_ranks_first(db: AsyncEngine) -> None:
    # Platform deals counted by credited share: ana D-1 and half of D-4 (1.5), bo D-3 (1),
    # cy the other half of D-4 (0.5).
    count = {**BOOKINGS, "aggregate": "count"}
    first = await live_contest(db, key="first", score=count)
    shared = await live_contest(db, key="shared", score=count, ranking={"tie_break": "shared"})
    # cy draws level with ana at 1.5 deals, but later than ana; a lost deal counts for nothing.
    touched = Touched()
    async with driver_transaction(db) as conn:
        batch = [
            deal("D-7", "cy", "10", "2026-03-21"),
            deal("D-8", "cy", "5", "2026-03-21", status="lost"),
        ]
        await ingest(conn, "deals", batch, CLI_ACTOR, touched=touched)
    assert await standings.update_after_ingest(db, touched, DAY) == 2
    assert [row[:3] for row in await board(db, first)] == [
        (1, "ana", Decimal("1.5")),
        (2, "cy", Decimal("1.5")),
        (3, "bo", Decimal(1)),
    ]
    assert [row[:3] for row in await board(db, shared)] == [
        (1, "ana", Decimal("1.5")),
        (1, "cy", Decimal("1.5")),
        (3, "bo", Decimal(1)),
    ]


async def ingest_batches(db: AsyncEngine, *batches: list[dict[str, Any]]) -> None:
    """Ingest deal batches in order, each in its own transaction, and update the contests."""
    for batch in batches:
        touched = Touched()
        async with driver_transaction(db) as conn:
            await ingest(conn, "deals", batch, CLI_ACTOR, touched=touched)
        await standings.update_after_ingest(db, touched, DAY)


@pytest.mark.usefixtures("floor")
async def test_equal_scores_from_one_batch_rank_first_and_second_not_both_first(
    db: AsyncEngine,
) -> None:
    first = await live_contest(db, key="first")
    shared = await live_contest(db, key="shared", ranking={"tie_break": "shared"})
    # cy and bo both reach 2,700 in one batch (one arrival time): cy's D-7 orders before
    # bo's D-8. ana's 2,500 is below them.
    await ingest_batches(
        db, [deal("D-8", "bo", "500", "2026-03-21"), deal("D-7", "cy", "1200", "2026-03-21")]
    )
    assert [row[:3] for row in await board(db, first)] == [
        (1, "cy", Decimal(2700)),
        (2, "bo", Decimal(2700)),
        (3, "ana", Decimal(2500)),
    ]
    assert [row[:3] for row in await board(db, shared)] == [
        (1, "cy", Decimal(2700)),
        (1, "bo", Decimal(2700)),
        (3, "ana", Decimal(2500)),
    ]


@pytest.mark.usefixtures("floor")
async def test_reached_by_event_lets_a_backfilled_deal_that_closed_earlier_win(
    db: AsyncEngine,
) -> None:
    received = await live_contest(db, key="received")
    event = await live_contest(db, key="event", ranking={"reached_by": "event"})
    # bo draws level with ana's 2,500 (last deal closed 2026-03-12) with a deal imported
    # only now but closed on 2026-03-02: his score was complete on 2026-03-10 (D-3).
    await ingest_batches(db, [deal("D-9", "bo", "300", "2026-03-02")])
    assert [row[:3] for row in await board(db, received)] == [
        (1, "ana", Decimal(2500)),
        (2, "bo", Decimal(2500)),
        (3, "cy", Decimal(1500)),
    ]
    assert [row[:3] for row in await board(db, event)] == [
        (1, "bo", Decimal(2500)),
        (2, "ana", Decimal(2500)),
        (3, "cy", Decimal(1500)),
    ]


@pytest.mark.parametrize("cy_first", [True, False])
@pytest.mark.usefixtures("floor")
async def test_the_same_deals_in_either_import_order_give_the_same_board_by_event(
    db: AsyncEngine, cy_first: bool
) -> None:
    event = await live_contest(db, key="event", ranking={"reached_by": "event"})
    received = await live_contest(db, key="received")
    # bo and cy reach 2,700 with deals closed the same day, imported one after the other.
    cy, bo = [deal("D-7", "cy", "1200", "2026-03-21")], [deal("D-8", "bo", "500", "2026-03-21")]
    await ingest_batches(db, *((cy, bo) if cy_first else (bo, cy)))
    # By the event: the same day, so D-7 before D-8, whichever arrived first.
    assert [row[:2] for row in await board(db, event)] == [(1, "cy"), (2, "bo"), (3, "ana")]
    # By arrival: whoever was imported first.
    order = ["cy", "bo"] if cy_first else ["bo", "cy"]
    assert [row[:2] for row in await board(db, received)] == [
        (1, order[0]),
        (2, order[1]),
        (3, "ana"),
    ]


@pytest.mark.usefixtures("floor")
async def test_by_event_a_change_of_close_date_moves_the_moment_though_the_score_stays(
    db: AsyncEngine,
) -> None:
    event = await live_contest(db, key="event", ranking={"reached_by": "event"})
    await ingest_batches(db, [deal("D-9", "bo", "300", "2026-03-02")])
    assert [row[1] for row in await board(db, event)] == ["bo", "ana", "cy"]
    # bo's D-3 turns out to have closed on 2026-03-14, after ana's last (2026-03-12).
    await ingest_batches(db, [deal("D-3", "bo", "2000", "2026-03-14", currency="EUR")])
    assert [row[1] for row in await board(db, event)] == ["ana", "bo", "cy"]


async def ingest_activities(db: AsyncEngine, *batches: list[dict[str, Any]]) -> None:
    """Ingest activity batches in order and update the contests."""
    for batch in batches:
        touched = Touched()
        async with driver_transaction(db) as conn:
            await ingest(conn, "activities", batch, CLI_ACTOR, touched=touched)
        await standings.update_after_ingest(db, touched, DAY)


def meeting(key: str, who: str, at: str) -> dict[str, Any]:
    return {"external_id": key, "participant": who, "type": "meeting", "occurred_at": at}


@pytest.mark.usefixtures("floor")
async def test_by_event_activities_go_by_when_they_happened(db: AsyncEngine) -> None:
    meetings = {"type": "total", "source": "activities", "aggregate": "count"}
    by_event = {"reached_by": "event"}
    received = await live_contest(db, key="received", score=meetings)
    event = await live_contest(db, key="event", score=meetings, ranking=by_event)
    teams = await live_contest(db, key="teams", score=meetings, ranking=by_event, scope="teams")
    await ingest_activities(
        db,
        [
            meeting("A-1", "ana", "2026-03-09T10:00:00Z"),
            meeting("A-3", "cy", "2026-03-09T08:00:00Z"),
        ],
        [
            meeting("A-2", "bo", "2026-03-09T09:00:00Z"),
            meeting("A-4", "cy", "2026-03-09T11:00:00Z"),
        ],
    )
    assert [row[:3] for row in await board(db, received)] == [
        (1, "cy", Decimal(2)),
        (2, "ana", Decimal(1)),  # sent first
        (3, "bo", Decimal(1)),
    ]
    assert [row[:3] for row in await board(db, event)] == [
        (1, "cy", Decimal(2)),
        (2, "bo", Decimal(1)),  # met at 09:00, an hour before ana
        (3, "ana", Decimal(1)),
    ]
    # east (ana and bo) was complete at 10:00, west (cy) at 11:00.
    assert [row[:3] for row in await board(db, teams)] == [
        (1, "east", Decimal(2)),
        (2, "west", Decimal(2)),
    ]
