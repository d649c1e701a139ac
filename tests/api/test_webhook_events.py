"""What each change announces by webhook: contests, awards and failed runs, with the
data a receiver reads (disputes and statements: tests/api/payouts/test_webhooks.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.calc import runs
from incentives.games import contests
from incentives.webhooks.events import EventType
from tests.api.conftest import IN_LINE, Client, Headers, make_live, race

EVERYTHING = [e.value for e in EventType if e is not EventType.PING]


async def _subscribe_to_everything(client: Client, headers: dict[str, str]) -> None:
    made = await client.post(
        "/api/v1/webhooks",
        json={"url": "https://hooks.example.com/all", "events": EVERYTHING},
        headers=headers,
    )
    assert made.status_code == 201, made.text


async def _announced(db: AsyncEngine) -> list[tuple[str, dict[str, Any]]]:
    async with db.connect() as conn:
        rows = await conn.execute(
            # Messages of one transaction share their moment: the type orders them.
            text("SELECT type, data::text FROM webhook_messages ORDER BY occurred_at, type")
        )
        return [(r[0], msgspec.json.decode(r[1])) for r in rows]


async def test_a_contest_announces_its_start_end_award_and_each_prize(
    db: AsyncEngine, client: Client, world: Headers
) -> None:
    await _subscribe_to_everything(client, world["finance"])
    prizes = [{"rank": 1, "points": 50, "badge": "spring-champ"}]
    await make_live(client, db, world["finance"], race("spring", "Spring race", prizes=prizes))
    # A contest in test mode is nobody's business: it announces nothing.
    trial = race("trial", "Trial race", visibility="test", participants=IN_LINE)
    await make_live(client, db, world["manager"], trial)
    await contests.advance(db, dt.date(2027, 1, 1), CLI_ACTOR)
    announced = await _announced(db)
    assert [(kind, data.get("key")) for kind, data in announced] == [
        ("contest.started", "spring"),
        ("contest.ended", "spring"),
        ("award.granted", None),
        ("contest.awarded", "spring"),
    ]
    window = {"starts_on": "2026-01-01", "ends_on": "2026-12-31", "name": "Spring race"}
    assert announced[0][1] == {"key": "spring", "status": "live", **window}
    # rep-1 leads on 12,345.67 and half of 1,000 (rep-3: 999.99; rep-2: 500).
    assert announced[3][1] == {
        "key": "spring",
        "status": "awarded",
        **window,
        "winners": [{"participant": "rep-1", "prize": "Spring race: 1st place", "rank": 1}],
    }
    assert announced[2][1] == {
        "participant": "rep-1",
        "name": "Spring race: 1st place",
        "points": 50,
        "badge": "spring-champ",
        "source": "contest",
        "source_key": "spring",
        "occasion": "prize:0",
    }


async def test_a_failed_run_is_announced_and_a_busy_one_is_not(
    db: AsyncEngine, client: Client, world: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _subscribe_to_everything(client, world["finance"])

    async def broken(*_: object) -> runs.RunSummary:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(runs, "_compute", broken)
    with pytest.raises(RuntimeError):
        await runs.calculate(db, period="2026-Q1", trigger="cli", actor=CLI_ACTOR)
    [(kind, data)] = await _announced(db)
    assert kind == "calc_run.failed"
    assert {k: data[k] for k in ("period", "trigger", "error")} == {
        "period": "2026-Q1",
        "trigger": "cli",
        "error": "the disk is full",
    }

    async def busy(*_: object) -> runs.RunSummary:
        raise runs.RunBusy("another run holds 2026-Q1")

    monkeypatch.setattr(runs, "_compute", busy)
    with pytest.raises(runs.RunBusy):
        await runs.calculate(db, period="2026-Q1", trigger="cli", actor=CLI_ACTOR)
    assert len(await _announced(db)) == 1
