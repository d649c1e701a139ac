"""Recomputing only what an ingest touched, right after it commits.

The touched participants first, then their managers up the hierarchy, each over the
fiscal quarter of the touched dates when the year's plans carry nothing from one period
to the next (no draw, year-to-date true-up or clawback) and that quarter is open; else
over the whole fiscal year, since those features carry later periods along with an
earlier one, and a closed period's change is paid in the first open one. The people a
deal names see their new pay after the first, small run; managers' rollups, which read
their whole reporting line, follow in a second, merged with the managers' runs other
ingests of the process ask for meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import multiprocessing
import os
import signal
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives import metrics
from incentives.audit.log import Actor
from incentives.calc.runs import MAX_PARTICIPANT_LOCKS, RunSummary, calculate
from incentives.config import load_settings
from incentives.db.connection import driver_of, make_engine
from incentives.ingest.touched import Touched
from incentives.orphans import end_with_parent
from incentives.plans.publish import in_force

logger = logging.getLogger(__name__)

_MANAGERS_UP = """
WITH RECURSIVE up(id) AS (
    SELECT unnest($1::bigint[])
    UNION
    SELECT a.manager_id FROM assignments a JOIN up ON a.participant_id = up.id
    WHERE a.manager_id IS NOT NULL
)
SELECT id FROM up
"""


# The fiscal year and the quarter of each touched date; the quarter is left out when
# closed (its changes are paid in the first open period, which only a year's run reaches).
_ON_DATES = """
SELECT t.participant_id, y.label AS year, y.start_date, y.end_date,
       CASE WHEN q.status <> 'closed' THEN q.label END AS quarter
FROM unnest($1::bigint[], $2::date[]) AS t(participant_id, day)
JOIN periods y ON y.kind = 'year' AND t.day BETWEEN y.start_date AND y.end_date
LEFT JOIN periods q ON q.kind = 'quarter' AND t.day BETWEEN q.start_date AND q.end_date
"""

_IN_PERIODS = """
SELECT t.participant_id, y.label AS year, y.start_date, y.end_date, NULL AS quarter
FROM unnest($1::bigint[], $2::text[]) AS t(participant_id, period)
JOIN periods p ON p.label = t.period
JOIN periods y ON y.kind = 'year' AND p.start_date BETWEEN y.start_date AND y.end_date
"""


# Every fiscal year a span meets; the quarter only when the span lies inside one open one.
_OVER_SPANS = """
SELECT t.participant_id, y.label AS year, y.start_date, y.end_date,
       (SELECT q.label FROM periods q WHERE q.kind = 'quarter' AND q.status <> 'closed'
        AND t.first BETWEEN q.start_date AND q.end_date
        AND coalesce(t.last, 'infinity') <= q.end_date) AS quarter
FROM unnest($1::bigint[], $2::date[], $3::date[]) AS t(participant_id, first, last)
JOIN periods y ON y.kind = 'year' AND y.start_date <= coalesce(t.last, 'infinity')
 AND y.end_date >= t.first
"""


async def scopes(conn: asyncpg.Connection, touched: Touched) -> dict[str, set[int]]:
    """The participants to recompute per period label: each over the one open quarter
    their changes fall in, when the year's plans carry nothing between periods; else over
    the fiscal year."""
    rows = []
    spans = [(p, lo, hi) for p, lo, hi in touched.over_spans]
    for query, touches in (
        (_ON_DATES, list(touched.on_dates)),
        (_IN_PERIODS, list(touched.in_periods)),
        (_OVER_SPANS, spans),
    ):
        if touches:  # a deal touches dates only: one round trip, not three
            columns = zip(*sorted(touches, key=_sortable), strict=True)
            rows += await conn.fetch(query, *map(list, columns))
    quarters: dict[tuple[int, str], set[str | None]] = {}
    narrow: dict[str, bool] = {}
    for r in rows:
        quarters.setdefault((r["participant_id"], r["year"]), set()).add(r["quarter"])
        if r["year"] not in narrow:
            plans = await in_force(conn, r["start_date"], r["end_date"])
            narrow[r["year"]] = not any(plan.carries_over for _, plan in plans)
    labels: dict[str, set[int]] = {}
    for (pid, year), found in sorted(quarters.items()):
        label = year
        if narrow[year] and len(found) == 1 and None not in found:
            label = next(q for q in found if q is not None)
        labels.setdefault(label, set()).add(pid)
    return labels


def _sortable(touch: tuple[Any, ...]) -> tuple[Any, ...]:
    # An open-ended span (None) sorts after every date.
    return tuple(dt.date.max if value is None else value for value in touch)


@dataclass(frozen=True)
class Stage:
    """One period's recompute after an ingest: the people it touched, then the managers
    above them (the people left out)."""

    period: str
    people: frozenset[int]
    managers: frozenset[int]


async def plan(engine: AsyncEngine, touched: Touched) -> list[Stage]:
    """What an ingest's changes ask to recompute, period by period."""
    if not touched:
        return []
    async with engine.connect() as sa_conn:
        conn = await driver_of(sa_conn)
        stages = []
        for label, people in sorted((await scopes(conn, touched)).items()):
            above = {r["id"] for r in await conn.fetch(_MANAGERS_UP, sorted(people))}
            stages.append(Stage(label, frozenset(people), frozenset(above - people)))
    return stages


async def recompute_people(
    engine: AsyncEngine, stages: list[Stage], actor: Actor
) -> list[RunSummary]:
    """The first stage: the touched people's runs (waiting for a run already over them)."""
    return [await _run(engine, stage.period, set(stage.people), actor) for stage in stages]


async def recompute_managers(
    engine: AsyncEngine, stages: list[Stage], actor: Actor, rollups: Rollups | None = None
) -> list[RunSummary]:
    """The second stage: the managers' runs; ``rollups``: merged with other callers' (see
    Rollups), else run here."""
    done = []
    for stage in stages:
        if stage.managers:
            managers = set(stage.managers)
            done.append(
                await rollups.recompute(engine, stage.period, managers, actor)
                if rollups is not None
                else await _run(engine, stage.period, managers, actor)
            )
    return done


async def recompute(
    engine: AsyncEngine, touched: Touched, actor: Actor, rollups: Rollups | None = None
) -> list[RunSummary]:
    """Recompute the touched participant-periods, both stages."""
    stages = await plan(engine, touched)
    people = await recompute_people(engine, stages, actor)
    return [*people, *await recompute_managers(engine, stages, actor, rollups)]


async def _run(engine: AsyncEngine, period: str, scope: set[int], actor: Actor) -> RunSummary:
    return await calculate(
        engine, period=period, participant_ids=scope, trigger="ingest", actor=actor, wait=True
    )


class Rollups:
    """Managers' recomputes of one process, merged while they wait, run by a worker process.

    A manager's run reads their whole reporting line (a director's, tens of thousands of
    deals a quarter), while a deal lands every few seconds. One managers' run goes at a
    time; whatever is asked for meanwhile is gathered into the next, so a burst of deals
    under one director costs two of their runs, not one per deal. Each caller still waits
    until a run that started after its request has finished. A merged run names at most
    MAX_PARTICIPANT_LOCKS people, so that it locks them, not whole plan-periods, and the
    owners' runs go on beside it.

    The runs happen in a worker process at a lower priority (see _worker): in the API's
    process they would hold its interpreter while owners' runs and requests wait.
    """

    def __init__(self) -> None:
        self._pending: list[_Batch] = []
        self._draining: asyncio.Task[None] | None = None

    async def recompute(
        self, engine: AsyncEngine, period: str, managers: set[int], actor: Actor
    ) -> RunSummary:
        """Recompute ``managers`` over ``period`` in the next merged run; that run's summary."""
        batch = next(
            (
                b
                for b in self._pending
                if b.period == period and len(b.people | managers) <= MAX_PARTICIPANT_LOCKS
            ),
            None,
        )
        if batch is None:
            batch = _Batch(period, set(), [], actor)
            self._pending.append(batch)
        batch.people |= managers
        done: asyncio.Future[RunSummary] = asyncio.get_running_loop().create_future()
        batch.waiting.append(done)
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain(engine))
        return await done

    async def _drain(self, engine: AsyncEngine) -> None:
        url = engine.url.render_as_string(hide_password=False)
        while self._pending:
            batch = self._pending.pop(0)
            try:
                # Counted here: the worker process's own count is in a registry nobody reads.
                with metrics.calc_run("ingest"):
                    run = await _worker.run(url, batch.period, batch.people, batch.actor)
            except Exception as exc:  # every waiter hears of it; the next batch still runs
                for future in batch.waiting:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for future in batch.waiting:
                    if not future.done():
                        future.set_result(run)


@dataclass
class _Batch:
    """Managers waiting for the next merged run over a period, and who waits for it."""

    period: str
    people: set[int]
    waiting: list[asyncio.Future[RunSummary]]
    actor: Actor


# The worker runs below the API's priority: on a machine short of cores, the owners' runs
# and requests come first, and rollups take the time left over.
_NICENESS = 10


@contextlib.contextmanager
def ctrl_c_not_inherited() -> Iterator[None]:
    """Processes started in the block never receive SIGINT, and a SIGINT sent to this
    process meanwhile is held, not lost.

    A terminal's Ctrl-C reaches every process of its group: the worker would die of it
    with a KeyboardInterrupt traceback (while still importing, too), and the rollup it
    was running would fail, while the API process stops it anyway on its way out. So
    SIGINT is blocked in this thread while the worker starts: the worker inherits the
    blocked signal (a signal mask survives exec), and for this process a Ctrl-C in those
    milliseconds stays pending until the block ends. (Ignoring it instead, as this once
    did, dropped a Ctrl-C that came while the worker started: the server never stopped.)
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


# How long a stop waits for the terminated worker to exit (it does so at once).
_REAP_SECONDS = 2


class _Worker:
    """The rollups' worker process, started at the first managers' run, restarted if it
    dies; in it, one event loop and one engine per database, kept between runs."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._engines: dict[str, AsyncEngine] = {}

    async def run(self, url: str, period: str, scope: set[int], actor: Actor) -> RunSummary:
        """A managers' run in the worker process (in the API's process)."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
        pool = self._pool
        try:
            with ctrl_c_not_inherited():  # the worker process is started here, if at all
                running = asyncio.get_running_loop().run_in_executor(
                    pool, _run_in_worker, url, period, scope, actor
                )
            return await running
        except BrokenProcessPool:
            if self._pool is pool:  # the next batch starts a new worker
                self._pool = None
            raise

    def stop(self) -> None:
        """Stop the worker process without waiting for a run in it: a rollup cut short
        leaves the previous results in place, and the nightly recompute redoes it."""
        pool, self._pool = self._pool, None
        if pool is not None:
            # shutdown() lets a run in progress finish (and forgets its processes);
            # nobody waits for that run any more, so its process is ended too.
            processes = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()
            for process in processes:
                process.join(_REAP_SECONDS)  # reaped here, not left a zombie

    def run_here(self, url: str, period: str, scope: set[int], actor: Actor) -> RunSummary:
        """A managers' run (in the worker process)."""
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        engine = self._engines.get(url)
        if engine is None:
            engine = self._engines[url] = make_engine(
                url, pool_size=2, timeouts=load_settings().db_timeouts
            )
        return self._loop.run_until_complete(_run(engine, period, scope, actor))


_worker = _Worker()


def _start_worker(parent: int) -> None:
    """The worker process's start: below the API's priority, and never outliving it (a
    server killed outright would leave it holding its connections)."""
    os.nice(_NICENESS)
    end_with_parent(parent)


def stop_worker() -> None:
    """Stop this process's rollups worker, if it started one (on the API's shutdown)."""
    _worker.stop()


def _run_in_worker(url: str, period: str, scope: set[int], actor: Actor) -> RunSummary:
    return _worker.run_here(url, period, scope, actor)


async def people_in_background(
    engine: AsyncEngine, touched: Touched, actor: Actor
) -> list[Stage] | None:
    """The first stage for a background task; the stages, for the second. A failure is
    logged (and recorded on its run), and leaves no second stage (None)."""
    try:
        stages = await plan(engine, touched)
        await recompute_people(engine, stages, actor)
    except Exception:
        logger.exception("recomputing the pay an ingest touched failed")
        return None
    return stages


async def managers_in_background(
    engine: AsyncEngine, stages: list[Stage], actor: Actor, rollups: Rollups | None
) -> bool:
    """The second stage for a background task: whether it succeeded (a failure is logged
    and recorded)."""
    try:
        await recompute_managers(engine, stages, actor, rollups)
    except Exception:
        logger.exception("recomputing managers' rollups after an ingest failed")
        return False
    return True
