"""A contest's life on the scheduler's clock: published as a file, live on its first day,
frozen and awarded after its last; test mode awards nothing; the nightly rebuild."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.db.connection import driver_transaction
from incentives.games.schedule import advance_contests, games_nightly
from incentives.plans.publish import PublishConflict, publish
from tests.games.conftest import deal, feed

CONTEST = """
kind: contest
key: blitz
version: 1
name: March blitz
window: {from: 2026-03-01, to: 2026-03-31}
currency: USD
participants: {teams: [east, west]}
score: {type: total, source: deals, aggregate: sum, where: {field: product, equals: Platform}}
prizes:
  - {rank: 1, points: 100, badge: blitz-winner}
  - {at_least: 2000, points: 10}
"""


LEVELS = """
kind: achievement
key: levels
version: 1
name: Level
effective: {from: 2026-01-01, to: 2026-12-31}
when: {type: levels, levels: [{name: bronze, points: 100}]}
"""


def clock(day: str) -> Any:
    """The scheduler's clock at 00:05 UTC on a day."""
    return lambda: dt.datetime.fromisoformat(f"{day}T00:05:00+00:00")


async def advance(db: AsyncEngine, day: str) -> dict[str, Any]:
    return await advance_contests(db, clock(day), timezone="UTC", actor=CLI_ACTOR)


async def query(db: AsyncEngine, sql: str) -> list[tuple[Any, ...]]:
    async with driver_transaction(db) as conn:
        return [tuple(r) for r in await conn.fetch(sql)]


STATUS = "SELECT key, status FROM contests ORDER BY key"
BOARD = (
    "SELECT p.external_id, s.score, s.final_rank FROM contest_standings s"
    " JOIN participants p ON p.id = s.subject_id ORDER BY s.score DESC"
)


@pytest.mark.usefixtures("floor")
async def test_a_published_contest_goes_live_ends_and_awards_on_its_days(db: AsyncEngine) -> None:
    async with driver_transaction(db) as conn:
        await publish(conn, CONTEST, "plans/blitz.yaml", CLI_ACTOR)
        await publish(conn, LEVELS, "plans/levels.yaml", CLI_ACTOR)
    assert await query(db, STATUS) == [("blitz", "scheduled")]
    assert (await advance(db, "2026-02-28"))["started"] == []
    assert (await advance(db, "2026-03-01"))["started"] == ["blitz"]
    assert await query(db, STATUS) == [("blitz", "live")]
    # Once live, a new version of the file is refused: the rules cannot change mid-game.
    async with driver_transaction(db) as conn:
        with pytest.raises(PublishConflict, match="live"):
            await publish(conn, CONTEST.replace("version: 1", "version: 2"), "b.yaml", CLI_ACTOR)
    # Still live on its last day; the day after, frozen and awarded.
    assert (await advance(db, "2026-03-31"))["ended"] == []
    done = await advance(db, "2026-04-01")
    assert (done["ended"], done["awarded"]) == (["blitz"], ["blitz"])
    assert [(who, rank) for who, _, rank in await query(db, BOARD)] == [
        ("ana", 1),
        ("bo", 2),
        ("cy", 3),
    ]
    # First place wins the badge; everyone at 2,000 or more 10 points; ana's 110 points
    # reach the first level.
    awarded = await query(
        db,
        "SELECT p.external_id, a.occasion, a.name, a.points, a.badge FROM awards a"
        " JOIN participants p ON p.id = a.participant_id ORDER BY 1, 2",
    )
    assert awarded == [
        ("ana", "level:bronze", "Level: bronze", 0, "bronze"),
        ("ana", "prize:0", "March blitz: 1st place", 100, "blitz-winner"),
        ("ana", "prize:1", "March blitz: reached 2000", 10, None),
        ("bo", "prize:1", "March blitz: reached 2000", 10, None),
    ]
    # Later firings change nothing.
    assert await advance(db, "2026-04-02") == {
        "today": "2026-04-02",
        "started": [],
        "ended": [],
        "awarded": [],
        "not_awarded": [],
    }


@pytest.mark.usefixtures("floor")
async def test_a_test_mode_contest_ends_without_awarding(db: AsyncEngine) -> None:
    async with driver_transaction(db) as conn:
        await publish(conn, CONTEST + "visibility: test\n", "blitz.yaml", CLI_ACTOR)
    await advance(db, "2026-03-05")
    done = await advance(db, "2026-04-01")
    assert (done["ended"], done["awarded"]) == (["blitz"], [])
    assert await query(db, STATUS) == [("blitz", "ended")]
    assert await query(db, "SELECT * FROM awards") == []


@pytest.mark.usefixtures("floor")
async def test_the_nightly_rebuild_takes_in_what_no_ingest_announced(db: AsyncEngine) -> None:
    async with driver_transaction(db) as conn:
        await publish(conn, CONTEST, "blitz.yaml", CLI_ACTOR)
    await advance(db, "2026-03-10")
    # A new hire joins team west, with a big deal, through a path that announces nothing.
    hire = {"external_id": "dee", "name": "Dee", "currency": "USD", "start_date": "2026-03-09"}
    await feed(
        db,
        {
            "participants": [hire],
            "assignments": [{"participant": "dee", "team": "west", "valid_from": "2026-03-09"}],
            "deals": [deal("D-20", "dee", "9000", "2026-03-10")],
        },
    )
    assert [who for who, _, _ in await query(db, BOARD)] == ["ana", "bo", "cy"]
    night = await games_nightly(db, clock("2026-03-11"), timezone="UTC", actor=CLI_ACTOR)
    assert night["rebuilt"] == ["blitz"]
    assert [who for who, _, _ in await query(db, BOARD)] == ["dee", "ana", "bo", "cy"]
    # The day's opening ranks are taken from the rebuilt board.
    assert await query(
        db,
        "SELECT p.external_id, s.day_rank FROM contest_standings s"
        " JOIN participants p ON p.id = s.subject_id ORDER BY s.day_rank",
    ) == [("dee", 1), ("ana", 2), ("bo", 3), ("cy", 4)]


@pytest.mark.usefixtures("floor")
async def test_equal_scores_from_one_batch_win_first_and_second_place(db: AsyncEngine) -> None:
    prizes = "  - {rank: 1, points: 100, badge: blitz-winner}\n  - {at_least: 2000, points: 10}\n"
    second = "  - {rank: 1, points: 100, badge: blitz-winner}\n  - {rank: 2, points: 40}\n"
    async with driver_transaction(db) as conn:
        await publish(conn, CONTEST.replace(prizes, second), "blitz.yaml", CLI_ACTOR)
    # bo and cy reach 2,700 in one batch, which the contest sees when it goes live.
    await feed(
        db,
        {
            "deals": [
                deal("D-8", "bo", "500", "2026-03-21"),
                deal("D-7", "cy", "1200", "2026-03-21"),
            ]
        },
    )
    await advance(db, "2026-03-01")
    done = await advance(db, "2026-04-01")
    assert done["awarded"] == ["blitz"]
    final = "SELECT p.external_id, s.final_rank FROM contest_standings s JOIN participants p"
    assert await query(db, final + " ON p.id = s.subject_id ORDER BY 2") == [
        ("cy", 1),
        ("bo", 2),
        ("ana", 3),
    ]
    awarded = await query(
        db,
        "SELECT p.external_id, a.name, a.points FROM awards a"
        " JOIN participants p ON p.id = a.participant_id ORDER BY 1",
    )
    assert awarded == [("bo", "March blitz: 2nd place", 40), ("cy", "March blitz: 1st place", 100)]
