"""Scheduled jobs: closing periods when they are due, and the nightly recompute.

Job definitions come from configuration (``INCENTIVES_*``), never from a shared job store:
APScheduler 3 keeps them in memory in each process. Every replica runs the same schedule,
and each firing is made exactly-once in PostgreSQL: the replica whose INSERT of (job,
slot) into ``job_runs`` succeeds does the work, the others skip it. On start each job's
latest slot is fired at once, so a slot missed while every replica was down runs when one
comes back (and, being claimed, only once).

A claim is held by a lease its replica renews while the job works (db/leases.py). Every
replica sweeps for expired leases every half lease: a slot whose replica died mid-job is
marked ``abandoned`` and, while it is still its job's latest slot, claimed again and run
by the replica that noticed; calculation runs left so are marked too.

A job is a plain async function of the engine and a clock; the clock is injectable, so
tests decide what time it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import msgspec
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives import idempotency_keys, metrics
from incentives.audit.log import Actor
from incentives.calc.runs import calculate, reap_abandoned
from incentives.config import Settings
from incentives.db import leases
from incentives.db.connection import driver_of, driver_transaction
from incentives.db.leases import Lease, Leased, RunStatus
from incentives.games import schedule as games
from incentives.periods.close import CloseRefused, close_period
from incentives.recompute import recover

logger = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
Work = Callable[[AsyncEngine, Clock], Awaitable[dict[str, Any]]]

SCHEDULER_ACTOR = Actor(name="scheduler", channel="scheduler")


def utc_now() -> dt.datetime:
    """The real clock."""
    return dt.datetime.now(dt.UTC)


class Schedule(Protocol):
    """When a job fires: its APScheduler trigger, and the latest firing at or before now."""

    def trigger(self) -> Any:
        """The APScheduler trigger."""

    def latest(self, now: dt.datetime) -> dt.datetime:
        """The latest slot at or before ``now`` (the claim's key)."""


# Intervals are counted from a fixed instant, so every replica computes the same slots.
_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Every:
    """Every so many minutes, on slots counted from a fixed instant."""

    minutes: int

    def trigger(self) -> Any:
        """Fires on the slots."""
        return IntervalTrigger(minutes=self.minutes, start_date=_EPOCH, timezone=dt.UTC)

    def latest(self, now: dt.datetime) -> dt.datetime:
        """The slot now is in."""
        step = dt.timedelta(minutes=self.minutes)
        return _EPOCH + ((now - _EPOCH) // step) * step


@dataclass(frozen=True)
class DailyAt:
    """Once a day at a local time of a timezone."""

    at: dt.time
    timezone: str

    def trigger(self) -> Any:
        """Fires daily at the local time."""
        return CronTrigger(hour=self.at.hour, minute=self.at.minute, timezone=self.timezone)

    def latest(self, now: dt.datetime) -> dt.datetime:
        """Today's firing if it has passed, else yesterday's (in UTC)."""
        zone = ZoneInfo(self.timezone)
        local = now.astimezone(zone)
        slot = dt.datetime.combine(local.date(), self.at, tzinfo=zone)
        if slot > local:
            slot = dt.datetime.combine(local.date() - dt.timedelta(days=1), self.at, tzinfo=zone)
        return slot.astimezone(dt.UTC)


@dataclass(frozen=True)
class Job:
    """A named job, when it fires, and what it does."""

    name: str
    schedule: Schedule
    work: Work


async def close_due_periods(
    engine: AsyncEngine, clock: Clock, *, grace_days: int, timezone: str
) -> dict[str, Any]:
    """Close every period whose end plus the grace days has passed, oldest first.

    A period ending March 31 with 5 days of grace closes once April 5 is over in the
    configured timezone.
    """
    today = clock().astimezone(ZoneInfo(timezone)).date()
    async with engine.connect() as sa_conn:
        due = await (await driver_of(sa_conn)).fetch(
            "SELECT label FROM periods WHERE status <> 'closed' AND end_date + $1::int < $2"
            " ORDER BY end_date, start_date DESC",
            grace_days,
            today,
        )
    closed: list[str] = []
    skipped: dict[str, str] = {}
    for row in due:
        try:
            await close_period(engine, row["label"], SCHEDULER_ACTOR)
        except CloseRefused as refused:
            skipped[row["label"]] = str(refused)
        else:
            closed.append(row["label"])
    return {"today": today.isoformat(), "closed": closed, "skipped": skipped}


async def recompute_open_periods(
    engine: AsyncEngine, clock: Clock, *, timezone: str
) -> dict[str, Any]:
    """A full run of every fiscal year begun by today that still has an open period."""
    today = clock().astimezone(ZoneInfo(timezone)).date()
    async with engine.connect() as sa_conn:
        years = await (await driver_of(sa_conn)).fetch(
            "SELECT y.label FROM periods y WHERE y.kind = 'year' AND y.start_date <= $1"
            " AND EXISTS (SELECT 1 FROM periods p WHERE p.fiscal_year = y.fiscal_year"
            " AND p.status <> 'closed') ORDER BY y.start_date",
            today,
        )
    runs = []
    for row in years:
        run = await calculate(
            engine, period=row["label"], trigger="schedule", actor=SCHEDULER_ACTOR, wait=True
        )
        runs.append({"period": row["label"], "run": run.id, "status": run.status})
    return {"today": today.isoformat(), "runs": runs}


def configured_jobs(settings: Settings) -> list[Job]:
    """The jobs the settings define."""
    return [
        Job(
            "close-periods",
            Every(settings.close_check_minutes),
            functools.partial(
                close_due_periods,
                grace_days=settings.close_grace_days,
                timezone=settings.timezone,
            ),
        ),
        Job(
            "recompute-open-periods",
            DailyAt(settings.recompute_at, settings.timezone),
            functools.partial(recompute_open_periods, timezone=settings.timezone),
        ),
        # Contests start, end and are awarded as their days come; nightly, at the start of
        # the day, live boards are rebuilt with the day's opening ranks.
        Job(
            "advance-contests",
            Every(settings.close_check_minutes),
            functools.partial(
                games.advance_contests, timezone=settings.timezone, actor=SCHEDULER_ACTOR
            ),
        ),
        # Recomputes an ingest set off and a crash or a failure cut short, made again.
        Job(
            "recompute-pending",
            Every(settings.close_check_minutes),
            functools.partial(
                recover.recompute_abandoned, timezone=settings.timezone, actor=SCHEDULER_ACTOR
            ),
        ),
        # Idempotency keys outlive their lifetime by at most an hour.
        Job(
            "purge-idempotency-keys",
            Every(60),
            functools.partial(idempotency_keys.purge_expired, hours=settings.idempotency_hours),
        ),
        Job(
            "games-nightly",
            DailyAt(dt.time(0, 0), settings.timezone),
            functools.partial(
                games.games_nightly, timezone=settings.timezone, actor=SCHEDULER_ACTOR
            ),
        ),
    ]


# Claim a slot: a new row, or one taken up again (failed, abandoned, or running on a lease
# that has run out). No row back: someone else has it.
_CLAIM = """
INSERT INTO job_runs (job, scheduled_for, runner, lease_until)
VALUES ($1, $2, $3, now() + $4::interval)
ON CONFLICT (job, scheduled_for) DO UPDATE
    SET status = 'running', attempts = job_runs.attempts + 1, runner = EXCLUDED.runner,
        started_at = now(), finished_at = NULL, error = NULL,
        lease_until = EXCLUDED.lease_until
    WHERE job_runs.status IN ('failed', 'abandoned')
       OR (job_runs.status = 'running' AND job_runs.lease_until < now())
RETURNING id
"""


class Scheduler:
    """One process's scheduler: APScheduler firing configured jobs, claimed in PostgreSQL."""

    def __init__(
        self,
        engine: AsyncEngine,
        jobs: list[Job],
        clock: Clock = utc_now,
        lease: Lease | None = None,
    ) -> None:
        self.engine = engine
        self.jobs = jobs
        self.clock = clock
        self.lease = lease or leases.configured()
        self.runner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._aps = AsyncIOScheduler(timezone=dt.UTC)
        self._catching_up: list[asyncio.Task[bool]] = []
        self._taking_up: set[asyncio.Task[bool]] = set()

    async def start(self) -> None:
        """Start firing, and fire every job's latest slot now (a no-op if it already ran)."""
        for job in self.jobs:
            self._aps.add_job(
                self.fire,
                job.schedule.trigger(),
                args=[job],
                id=job.name,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=None,
            )
        # Not a claimed job: every replica sweeps, and a row is marked by one of them.
        self._aps.add_job(
            self.sweep,
            IntervalTrigger(seconds=self.lease.sweep),
            id="sweep-abandoned",
            coalesce=True,
            max_instances=1,
        )
        self._aps.start()
        self._catching_up = [asyncio.create_task(self.fire(job)) for job in self.jobs]

    async def caught_up(self) -> list[bool]:
        """Wait for the start's catch-up firings; whether each did the work."""
        return list(await asyncio.gather(*self._catching_up))

    async def shutdown(self) -> None:
        """Stop firing; a job at work is cancelled (its claim stays ``running`` until its
        lease runs out, and another replica takes it up)."""
        self._aps.shutdown(wait=False)
        tasks = [*self._catching_up, *self._taking_up]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def fire(self, job: Job, slot: dt.datetime | None = None) -> bool:
        """Run the job's current slot (or ``slot``) if this process wins its claim;
        whether it did."""
        slot = slot or job.schedule.latest(self.clock())
        async with driver_transaction(self.engine) as conn:
            claim = await conn.fetchval(_CLAIM, job.name, slot, self.runner, self.lease.length)
        if claim is None:
            metrics.job_skipped(job.name)
            return False
        started = time.perf_counter()
        try:
            async with leases.held(self.engine, Leased.JOB_RUNS, claim, self.lease):
                detail = await job.work(self.engine, self.clock)
        except Exception as exc:
            metrics.job_ran(job.name, False, time.perf_counter() - started)
            logger.exception("scheduled job %s for %s failed", job.name, slot.isoformat())
            await self._finish(claim, RunStatus.FAILED, {}, str(exc)[:2000] or type(exc).__name__)
            return True
        metrics.job_ran(job.name, True, time.perf_counter() - started)
        await self._finish(claim, RunStatus.SUCCEEDED, detail, None)
        return True

    async def sweep(self) -> None:
        """Mark abandoned the runs and job slots whose process died, and take up the
        slots that are still their job's latest."""
        async with self.engine.connect() as sa_conn:
            conn = await driver_of(sa_conn)
            await reap_abandoned(conn)
            reaped = await leases.reap(conn, Leased.JOB_RUNS)
        jobs = {job.name: job for job in self.jobs}
        now = self.clock()
        for row in reaped:
            job = jobs.get(row["job"])
            logger.warning(
                "scheduled job %s for %s was abandoned", row["job"], row["scheduled_for"]
            )
            if job is not None and job.schedule.latest(now) == row["scheduled_for"]:
                task = asyncio.create_task(self.fire(job, row["scheduled_for"]))
                self._taking_up.add(task)
                task.add_done_callback(self._taking_up.discard)

    async def _finish(
        self, claim: int, status: RunStatus, detail: dict[str, Any], error: str | None
    ) -> None:
        async with driver_transaction(self.engine) as conn:
            await conn.execute(
                "UPDATE job_runs SET status = $2, finished_at = clock_timestamp(),"
                " detail = $3::jsonb, error = $4 WHERE id = $1",
                claim,
                status.value,
                msgspec.json.encode(detail).decode(),
                error,
            )


def lifespan(
    engine: AsyncEngine, settings: Settings
) -> Callable[[Litestar], contextlib.AbstractAsyncContextManager[None]]:
    """The app's lifespan hook running the configured scheduler."""

    @contextlib.asynccontextmanager
    async def scheduling(_: Litestar) -> AsyncIterator[None]:
        scheduler = Scheduler(engine, configured_jobs(settings))
        await scheduler.start()
        try:
            yield
        finally:
            await scheduler.shutdown()

    return scheduling
