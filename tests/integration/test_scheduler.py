"""The scheduler: periods close on their schedule, and every job runs exactly once however
many replicas fire it, including a job missed while every replica was down."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api.app import create_app
from incentives.config import load_settings
from incentives.db.connection import make_engine
from incentives.scheduler import (
    Clock,
    DailyAt,
    Every,
    Job,
    Scheduler,
    close_due_periods,
    configured_jobs,
)
from tests.integration.test_period_close import deal, feed, fetch, setup_world


def at(text: str) -> dt.datetime:
    """A UTC instant from ISO text."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def fixed(now: dt.datetime) -> Clock:
    """A clock stopped at ``now``."""
    return lambda: now


async def statuses(db: AsyncEngine) -> dict[str, str]:
    """Period label to status, for the first quarter and its months."""
    rows = await fetch(
        db,
        "SELECT label, status FROM periods WHERE label IN"
        " ('2026-01', '2026-02', '2026-03', '2026-04', '2026-Q1', '2026-Q2', '2026')",
    )
    return {r["label"]: r["status"] for r in rows}


async def test_periods_close_on_schedule_in_the_configured_timezone(db: AsyncEngine) -> None:
    await setup_world(db)
    await feed(db, "deals", [deal("D-1", "rep-1", "10000", "2026-02-10")])

    async def run_at(now: str) -> list[str]:
        detail = await close_due_periods(
            db, fixed(at(now)), grace_days=5, timezone="America/Los_Angeles"
        )
        closed: list[str] = detail["closed"]
        return closed

    # March ends on the 31st; with 5 days of grace it closes once April 5 is over in
    # Los Angeles, which is 07:00 UTC on April 6.
    assert await run_at("2026-04-06T06:59:00") == ["2026-01", "2026-02"]
    assert (await statuses(db))["2026-Q1"] == "open"
    assert await run_at("2026-04-06T07:00:00") == ["2026-03", "2026-Q1"]
    assert await statuses(db) == {
        "2026-01": "closed",
        "2026-02": "closed",
        "2026-03": "closed",
        "2026-04": "open",
        "2026-Q1": "closed",
        "2026-Q2": "open",
        "2026": "open",
    }
    [statement] = await fetch(db, "SELECT period, total_minor, status FROM statements")
    assert tuple(statement) == ("2026-Q1", 100000, "draft")
    # Nothing more is due the same day.
    assert await run_at("2026-04-06T20:00:00") == []


async def test_several_schedulers_run_each_job_exactly_once(
    db: AsyncEngine, database_url: str
) -> None:
    await setup_world(db)
    await feed(
        db,
        "deals",
        [deal("D-1", "rep-1", "10000", "2026-02-10"), deal("D-2", "rep-2", "2500", "2026-05-10")],
    )
    settings = load_settings({"INCENTIVES_CLOSE_GRACE_DAYS": "5", "INCENTIVES_TIMEZONE": "UTC"})
    now = at("2026-04-07T03:00:00")
    # Four replicas, each with its own connection pool, start at the same moment.
    engines = [make_engine(database_url, pool_size=2) for _ in range(4)]
    schedulers = [Scheduler(e, configured_jobs(settings), fixed(now)) for e in engines]
    try:
        await asyncio.gather(*(s.start() for s in schedulers))
        did = await asyncio.gather(*(s.caught_up() for s in schedulers))
    finally:
        await asyncio.gather(*(s.shutdown() for s in schedulers))
        await asyncio.gather(*(e.dispose() for e in engines))
    # Exactly one replica ran each job: one closing the due periods, one recomputing (and
    # one for each of the games' jobs, one catching up on abandoned recomputes, one purging
    # expired idempotency keys).
    assert [sum(fired) for fired in zip(*did, strict=True)] == [1, 1, 1, 1, 1, 1]
    runs = await fetch(db, "SELECT job, scheduled_for, status, attempts FROM job_runs ORDER BY job")
    assert [tuple(r) for r in runs] == [
        ("advance-contests", at("2026-04-07T03:00:00"), "succeeded", 1),
        ("close-periods", at("2026-04-07T03:00:00"), "succeeded", 1),
        ("games-nightly", at("2026-04-07T00:00:00"), "succeeded", 1),
        ("purge-idempotency-keys", at("2026-04-07T03:00:00"), "succeeded", 1),
        ("recompute-open-periods", at("2026-04-07T02:00:00"), "succeeded", 1),
        ("recompute-pending", at("2026-04-07T03:00:00"), "succeeded", 1),
    ]
    calc = await fetch(
        db, "SELECT trigger, count(*) AS n FROM calc_runs GROUP BY trigger ORDER BY trigger"
    )
    # One final run per closed period (three months and the quarter), one nightly run.
    assert [tuple(r) for r in calc] == [("close", 4), ("schedule", 1)]
    closes = await fetch(db, "SELECT count(*) AS n FROM audit_log WHERE action = 'close'")
    assert closes[0]["n"] == 4
    statements = await fetch(db, "SELECT period, total_minor FROM statements")
    assert [tuple(s) for s in statements] == [("2026-Q1", 100000)]
    # The nightly run computed the open quarter: rep-2's May deal pays 250.00.
    q2 = await fetch(db, "SELECT total_minor FROM participant_results WHERE period = '2026-Q2'")
    assert [r["total_minor"] for r in q2] == [25000]


async def test_a_job_missed_while_every_replica_was_down_runs_when_one_comes_back(
    db: AsyncEngine,
) -> None:
    await setup_world(db)
    nightly = configured_jobs(load_settings({"INCENTIVES_RECOMPUTE_AT": "02:30"}))[1]
    assert nightly.schedule == DailyAt(dt.time(2, 30), "UTC")
    # Every replica was down from before 02:30 until 09:00: the 02:30 run did not happen.
    first = Scheduler(db, [nightly], fixed(at("2026-05-04T09:00:00")))
    await first.start()
    assert await first.caught_up() == [True]
    await first.shutdown()
    # Another replica coming back later that day finds the run done.
    second = Scheduler(db, [nightly], fixed(at("2026-05-04T11:00:00")))
    await second.start()
    assert await second.caught_up() == [False]
    await second.shutdown()
    runs = await fetch(db, "SELECT job, scheduled_for, status FROM job_runs")
    assert [tuple(r) for r in runs] == [
        ("recompute-open-periods", at("2026-05-04T02:30:00"), "succeeded")
    ]
    calc = await fetch(db, "SELECT count(*) AS n FROM calc_runs WHERE trigger = 'schedule'")
    assert calc[0]["n"] == 1


async def test_a_failed_job_is_taken_up_again_by_the_next_firing(db: AsyncEngine) -> None:
    attempts = 0

    async def flaky(engine: AsyncEngine, clock: Clock) -> dict[str, Any]:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("the database went away")
        return {"attempt": attempts}

    job = Job("flaky", Every(60), flaky)
    scheduler = Scheduler(db, [job], fixed(at("2026-05-04T09:10:00")))
    assert await scheduler.fire(job) is True
    assert await scheduler.fire(job) is True
    assert await scheduler.fire(job) is False  # done: nobody runs it again
    [run] = await fetch(db, "SELECT scheduled_for, status, attempts, detail FROM job_runs")
    assert tuple(run) == (at("2026-05-04T09:00:00"), "succeeded", 2, {"attempt": 2})


async def test_the_app_runs_the_configured_scheduler_while_it_lives(db: AsyncEngine) -> None:
    settings = load_settings({"INCENTIVES_RECOMPUTE_AT": "03:15"})
    app = create_app(db, scheduler=settings)
    async with app.lifespan():
        # On start, each job's latest slot is fired (nothing to close or compute here).
        for _ in range(100):
            runs = await fetch(db, "SELECT job, status FROM job_runs ORDER BY job")
            if len(runs) == 6 and all(r["status"] == "succeeded" for r in runs):
                break
            await asyncio.sleep(0.05)
    assert [tuple(r) for r in runs] == [
        ("advance-contests", "succeeded"),
        ("close-periods", "succeeded"),
        ("games-nightly", "succeeded"),
        ("purge-idempotency-keys", "succeeded"),
        ("recompute-open-periods", "succeeded"),
        ("recompute-pending", "succeeded"),
    ]
