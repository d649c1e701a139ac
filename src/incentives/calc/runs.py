"""Calculation runs: recorded, exclusive per scope, and atomic.

A run is recorded first (status ``running``) in a transaction of its own. The results are
then computed and replaced in one transaction that also marks the run ``succeeded``; an
error anywhere in it leaves the previous results whole and the run ``failed``. While it
works, the run's process renews its lease (db/leases.py): a run whose process died is
marked ``abandoned`` once its lease has run out, by whoever notices first (a scheduler's
sweep, the next ``incentives calc``, a read of the run). Runs that
could write the same results exclude each other through advisory locks (see ``lock``): a
second one waits (incremental recomputes) or is refused (requested runs).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

import asyncpg
import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives import errors, metrics
from incentives.audit.log import Actor
from incentives.calc import changes
from incentives.calc.adjustments import plan_calendar, prior_period_adjustments
from incentives.calc.load import load
from incentives.calc.persist import Written, replace_results
from incentives.calc.unpaid import unpaid_deals
from incentives.db import leases
from incentives.db.connection import driver_of, driver_transaction
from incentives.db.leases import Leased, RunStatus
from incentives.engine.evaluate import evaluate
from incentives.instants import Instant, sql_instant
from incentives.plans.publish import in_force
from incentives.webhooks import events
from incentives.webhooks.events import EventType


class ScopeError(errors.Invalid, ValueError):
    """A run's scope names an unknown period or participant; the field says which."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, [errors.FieldError(field, message)])


class RunBusy(errors.Conflict):
    """Another run is computing the same plan and period."""


# Told as each plan is done: plans done so far, and plans in the run.
ProgressCallback = Callable[[int, int], None]


class RunSummary(msgspec.Struct):
    """A recorded run."""

    id: int
    trigger: str
    requested_by: str
    status: RunStatus
    scope: dict[str, Any]
    plan_versions: dict[str, Any]
    input_watermark: int | None
    counts: dict[str, Any]
    started_at: Instant
    finished_at: Instant | None
    error: str | None


_SUMMARY_COLUMNS = (
    "id, trigger, requested_by, status, scope, plan_versions, input_watermark, counts,"
    f" {sql_instant('started_at')}, {sql_instant('finished_at')}, error"
)


async def summary(conn: asyncpg.Connection, run_id: int) -> RunSummary | None:
    """A run as recorded (marked abandoned first if its lease has run out), or None."""
    await reap_abandoned(conn, run_id=run_id)
    row = await conn.fetchrow(f"SELECT {_SUMMARY_COLUMNS} FROM calc_runs WHERE id = $1", run_id)
    return None if row is None else RunSummary(**dict(row))


async def reap_abandoned(conn: asyncpg.Connection, *, run_id: int | None = None) -> list[int]:
    """Mark abandoned the runs (or only ``run_id``) whose process stopped before they
    finished, announcing each as failed; their ids."""
    async with conn.transaction():  # marked and announced together
        reaped = await leases.reap(conn, Leased.CALC_RUNS, row_id=run_id)
        await events.announce(
            conn,
            EventType.CALC_RUN_FAILED,
            [
                {
                    "id": r["id"],
                    "period": r["scope"]["period"],
                    "trigger": r["trigger"],
                    "error": r["error"],
                }
                for r in reaped
            ],
        )
    return [r["id"] for r in reaped]


# The run recorded, with its period's bounds, by one statement committed on its own (no
# row: an unknown period). One round trip, not four, before an owner's run can start.
_RECORD = """
WITH period AS (SELECT start_date, end_date FROM periods WHERE label = $1),
     run AS (INSERT INTO calc_runs (trigger, requested_by, scope, lease_until)
             SELECT $2, $3, $4::jsonb, now() + $5::interval FROM period RETURNING id)
SELECT run.id, period.start_date, period.end_date FROM run, period
"""


async def _participant_ids(conn: asyncpg.Connection, keys: list[str]) -> set[int]:
    rows = await conn.fetch(
        "SELECT id, external_id FROM participants WHERE external_id = ANY($1::text[])", keys
    )
    missing = sorted(set(keys) - {r["external_id"] for r in rows})
    if missing:
        raise ScopeError("participants", f"unknown participants: {', '.join(missing)}")
    return {r["id"] for r in rows}


async def calculate(
    engine: AsyncEngine,
    *,
    period: str,
    participants: list[str] | None = None,
    participant_ids: set[int] | None = None,
    trigger: str,
    actor: Actor,
    wait: bool = False,
    on_progress: ProgressCallback | None = None,
) -> RunSummary:
    """Recompute every plan in force over ``period`` (optionally only some participants).

    ``on_progress`` is told the plans done and the plans in all, before each plan and at
    the end; it is called from here, around the engine, which does no I/O of its own."""
    lease = leases.configured()
    async with engine.connect() as sa_conn:
        conn = await driver_of(sa_conn)
        scope = participant_ids
        if participants is not None:
            scope = (scope or set()) | await _participant_ids(conn, participants)
        recorded = await conn.fetchrow(
            _RECORD,
            period,
            trigger,
            actor.name,
            msgspec.json.encode(
                {"period": period, "participants": None if scope is None else sorted(scope)}
            ).decode(),
            lease.length,
        )
    if recorded is None:
        raise ScopeError("period", f"unknown period {period!r}; generate the fiscal year first")
    run_id, first, last = recorded
    with metrics.calc_run(trigger, busy=(RunBusy,)):
        async with leases.held(engine, Leased.CALC_RUNS, run_id, lease):
            try:
                async with driver_transaction(engine, long=True) as conn:
                    return await _compute(conn, run_id, first, last, scope, wait, on_progress)
            except Exception as exc:
                await _failed(engine, run_id, period, trigger, exc)
                raise


async def _failed(
    engine: AsyncEngine, run_id: int, period: str, trigger: str, exc: Exception
) -> None:
    """Mark the run failed with its error, announced unless it was only refused as busy."""
    error = str(exc)[:2000] or type(exc).__name__
    async with driver_transaction(engine) as conn:
        await conn.execute(
            "UPDATE calc_runs SET status = 'failed', finished_at = clock_timestamp(),"
            " error = $2 WHERE id = $1",
            run_id,
            error,
        )
        if not isinstance(exc, RunBusy):
            await events.announce(
                conn,
                EventType.CALC_RUN_FAILED,
                [{"id": run_id, "period": period, "trigger": trigger, "error": error}],
            )


# Scopes larger than this lock their plan-periods whole, like a full run: a lock per
# participant would crowd PostgreSQL's shared lock table.
MAX_PARTICIPANT_LOCKS = 200


async def lock(
    conn: asyncpg.Connection,
    plan_key: str,
    periods: list[str],
    scope: set[int] | None,
    *,
    wait: bool,
) -> None:
    """Take the current transaction's locks for a run of a plan over some periods.

    A full run holds each plan-period exclusively. A scoped run shares the plan-periods
    and holds its participants exclusively, so recomputes of different people (a rep's
    deal while a director's rollup is being rewritten) go side by side, while two runs
    over the same person, or a scoped and a full run, never both write. Locks are taken
    in one order (plan-periods, then participants, sorted), so runs cannot deadlock.
    ``wait``: wait for the locks, or raise RunBusy at once.
    """
    whole = scope is None or len(scope) > MAX_PARTICIPANT_LOCKS
    keys = [(f"calc:{plan_key}:{label}", whole) for label in periods]
    if not whole and scope is not None:
        keys += [(f"calc:{plan_key}:participant:{pid}", True) for pid in sorted(scope)]
    # One statement takes them all, in the order given (one round trip, not one a lock).
    take = "pg_try_advisory_xact_lock" if not wait else "pg_advisory_xact_lock"
    taken = await conn.fetchval(
        f"SELECT {'bool_and' if not wait else 'count'}(CASE WHEN t.exclusive"
        f" THEN {take}(hashtext(t.key)) ELSE {take}_shared(hashtext(t.key)) END)"
        " FROM unnest($1::text[], $2::bool[]) AS t(key, exclusive)",
        [key for key, _ in keys],
        [exclusive for _, exclusive in keys],
    )
    if taken is False:
        raise RunBusy(f"a run over {plan_key} {', '.join(periods)} is in progress; try again")


async def _compute(
    conn: asyncpg.Connection,
    run_id: int,
    first: dt.date,
    last: dt.date,
    scope: set[int] | None,
    wait: bool,
    on_progress: ProgressCallback | None = None,
) -> RunSummary:
    plans = sorted(await in_force(conn, first, last), key=lambda p: p[1].key)
    work = []
    for version_id, plan in plans:
        periods = plan.schedule.within(first, last)
        work.append((version_id, plan, periods))
        await lock(conn, plan.key, [p.label for p in periods], scope, wait=wait)
    watermark = await conn.fetchval("SELECT max(id) FROM audit_log")
    written = Written()
    for finished, (version_id, plan, periods) in enumerate(work):
        if on_progress is not None:
            # Before each plan, so the count shows from the start of a long first plan.
            on_progress(finished, len(work))
        if not periods:
            continue
        # Closed periods are evaluated (they carry attainment, draws and year-to-date
        # figures forward, and show what changed since they closed) but never written.
        calendar = await plan_calendar(conn, plan, periods)
        if not calendar.writable and calendar.first_open is not None:
            continue
        # A plan that carries nothing between periods needs no deals before the first
        # period it evaluates: a quarter's recompute reads that quarter, not the year.
        since = None if plan.carries_over else plan.schedule.period(calendar.evaluated()[0]).start
        loaded = await load(conn, plan, periods[-1].end, since=since, scope=scope)
        # The engine is pure and CPU-bound: off the event loop, so the API keeps answering.
        evaluation = await asyncio.to_thread(evaluate, plan, loaded.inputs, calendar.evaluated())
        keep = [
            r
            for r in evaluation.results
            if r.period in calendar.writable
            and loaded.inputs.paid(r.participant_id, plan.schedule.period(r.period))
            and (scope is None or loaded.db_id(r.participant_id) in scope)
        ]
        # Owed by the run that writes the plan's first open period (or by none if all closed).
        owed = []
        if calendar.target is not None or calendar.first_open is None:
            owed = await prior_period_adjustments(
                conn, evaluation=evaluation, loaded=loaded, calendar=calendar, scope=scope
            )
        if calendar.target is None:
            written.unplaced_adjustments += len(owed)
            owed = []
        plan_written = await replace_results(
            conn,
            run_id=run_id,
            plan_version_id=version_id,
            loaded=loaded,
            evaluation=evaluation,
            periods=calendar.writable,
            scope=scope,
            keep=keep,
            adjustments=owed,
            adjustments_in=calendar.target,
        )
        plan_written.unpaid_deals, plan_written.unpaid = await unpaid_deals(
            conn, evaluation, loaded, scope, plan.schedule
        )
        written.add(plan_written)
    if on_progress is not None:
        on_progress(len(work), len(work))
    await changes.announce(conn, scope)
    done = await conn.fetchrow(
        "UPDATE calc_runs SET status = 'succeeded', finished_at = clock_timestamp(),"
        " input_watermark = $2, plan_versions = $3::jsonb, counts = $4::jsonb WHERE id = $1"
        f" RETURNING {_SUMMARY_COLUMNS}",
        run_id,
        watermark,
        msgspec.json.encode({plan.key: version_id for version_id, plan, _ in work}).decode(),
        msgspec.json.encode(written).decode(),
    )
    assert done is not None
    return RunSummary(**dict(done))
