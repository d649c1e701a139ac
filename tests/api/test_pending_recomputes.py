"""A recompute an ingest owes is kept until it is done: a crash or a failure before then
leaves it to the scheduler's catch-up, and /metrics tells how long the oldest has waited."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.calc import incremental
from incentives.db.connection import driver_transaction
from incentives.ingest.service import ingest
from incentives.ingest.touched import Touched
from incentives.recompute import pending, recover
from tests.api.conftest import Client, Headers, post_deal
from tests.api.test_after_ingest import DEAL, _pay

AGE = re.compile(r"^incentives_pending_recompute_oldest_age_seconds (\S+)$", re.M)


def _now() -> dt.datetime:
    return dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)


async def _owed(db: AsyncEngine) -> int:
    async with db.connect() as conn:
        return int(await conn.scalar(text("SELECT count(*) FROM pending_recomputes")) or 0)


async def _age(client: Client, headers: dict[str, str]) -> float:
    scraped = await client.get("/metrics", headers=headers)
    assert scraped.status_code == 200
    found = AGE.search(scraped.text)
    assert found, scraped.text[:2000]
    return float(found.group(1))


async def _lease_runs_out(db: AsyncEngine) -> None:
    async with db.begin() as conn:
        await conn.execute(
            text("UPDATE pending_recomputes SET claimed_until = now() - interval '1 second'")
        )


async def test_an_ingest_leaves_nothing_owed_once_its_recompute_is_done(
    db: AsyncEngine, client: Client, world: Headers
) -> None:
    before = await _pay(db, "rep-1")
    await post_deal(client, world["integration"], "D-9", "rep-1", "5000", "2026-03-02")
    assert await _pay(db, "rep-1") == (before or 0) + 50000
    assert await _owed(db) == 0
    assert await _age(client, world["admin"]) == 0


async def test_a_recompute_lost_to_a_crash_is_made_by_the_catch_up(
    db: AsyncEngine, client: Client, world: Headers
) -> None:
    before = await _pay(db, "rep-1")
    touched = Touched()
    # The ingest commits, and the process dies before its background recompute.
    async with driver_transaction(db) as conn:
        await ingest(conn, "deals", [DEAL], CLI_ACTOR, touched=touched)
        await pending.record(conn, touched)
    assert await _pay(db, "rep-1") == before
    assert await _age(client, world["admin"]) > 0
    # Within its claim, the writer may still be at work: the catch-up leaves it alone.
    made = await recover.recompute_abandoned(db, _now, timezone="UTC", actor=CLI_ACTOR)
    assert made["recomputed"] == []
    await _lease_runs_out(db)
    made = await recover.recompute_abandoned(db, _now, timezone="UTC", actor=CLI_ACTOR)
    assert len(made["recomputed"]) == 1
    assert await _pay(db, "rep-1") == (before or 0) + 50000
    assert await _owed(db) == 0
    assert await _age(client, world["admin"]) == 0


async def test_a_failed_recompute_stays_owed_until_it_succeeds(
    db: AsyncEngine, client: Client, world: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await _pay(db, "rep-1")
    working = incremental.recompute_people

    async def failing(*_: object, **__: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(incremental, "recompute_people", failing)
    await post_deal(client, world["integration"], "D-9", "rep-1", "5000", "2026-03-02")
    assert await _pay(db, "rep-1") == before
    assert await _owed(db) == 1
    monkeypatch.setattr(incremental, "recompute_people", working)
    await _lease_runs_out(db)
    await recover.recompute_abandoned(db, _now, timezone="UTC", actor=CLI_ACTOR)
    assert await _pay(db, "rep-1") == (before or 0) + 50000
    assert await _owed(db) == 0


def test_what_an_ingest_touched_is_kept_as_it_was() -> None:
    touched = Touched()
    touched.on_dates = {(3, dt.date(2026, 3, 2)), (4, dt.date(2026, 1, 31))}
    touched.in_periods = {(3, "2026-Q1")}
    kept = Touched.decoded(touched.encoded())
    assert (kept.on_dates, kept.in_periods) == (touched.on_dates, touched.in_periods)
