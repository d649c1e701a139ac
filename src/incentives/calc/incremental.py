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
import logging

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import Actor
from incentives.calc.runs import RunSummary, calculate
from incentives.db.connection import driver_of
from incentives.ingest.service import Touched
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


async def scopes(conn: asyncpg.Connection, touched: Touched) -> dict[str, set[int]]:
    """The participants to recompute per period label: each over the one open quarter
    their changes fall in, when the year's plans carry nothing between periods; else over
    the fiscal year."""
    on_dates, in_periods = sorted(touched.on_dates), sorted(touched.in_periods)
    rows = [
        *await conn.fetch(_ON_DATES, [p for p, _ in on_dates], [d for _, d in on_dates]),
        *await conn.fetch(_IN_PERIODS, [p for p, _ in in_periods], [q for _, q in in_periods]),
    ]
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


async def recompute(
    engine: AsyncEngine, touched: Touched, actor: Actor, rollups: Rollups | None = None
) -> list[RunSummary]:
    """Recompute the touched participant-periods; waits for a run already over them.

    ``rollups``: merge the managers' runs with other callers' (see Rollups)."""
    if not touched:
        return []
    async with engine.connect() as sa_conn:
        conn = await driver_of(sa_conn)
        stages = [
            (label, people, {r["id"] for r in await conn.fetch(_MANAGERS_UP, sorted(people))})
            for label, people in sorted((await scopes(conn, touched)).items())
        ]
    done = [await _run(engine, label, people, actor) for label, people, _ in stages]
    for label, people, with_managers in stages:
        managers = with_managers - people
        if managers:
            run = (
                await rollups.recompute(engine, label, managers, actor)
                if rollups is not None
                else await _run(engine, label, managers, actor)
            )
            done.append(run)
    return done


async def _run(engine: AsyncEngine, period: str, scope: set[int], actor: Actor) -> RunSummary:
    return await calculate(
        engine, period=period, participant_ids=scope, trigger="ingest", actor=actor, wait=True
    )


class Rollups:
    """Managers' recomputes of one process, merged while they wait.

    A manager's run reads their whole reporting line (a director's, hundreds of thousands
    of deals), while a deal lands every few seconds. One managers' run goes at a time;
    whatever is asked for meanwhile is gathered into the next, so a burst of deals under
    one director costs two of their runs, not one per deal. Each caller still waits until
    a run that started after its request has finished.
    """

    def __init__(self) -> None:
        self._pending: dict[str, tuple[set[int], list[asyncio.Future[RunSummary]], Actor]] = {}
        self._draining: asyncio.Task[None] | None = None

    async def recompute(
        self, engine: AsyncEngine, period: str, managers: set[int], actor: Actor
    ) -> RunSummary:
        """Recompute ``managers`` over ``period`` in the next merged run; that run's summary."""
        people, waiting, _ = self._pending.setdefault(period, (set(), [], actor))
        people |= managers
        done: asyncio.Future[RunSummary] = asyncio.get_running_loop().create_future()
        waiting.append(done)
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain(engine))
        return await done

    async def _drain(self, engine: AsyncEngine) -> None:
        while self._pending:
            year = next(iter(self._pending))
            people, waiting, actor = self._pending.pop(year)
            try:
                run = await _run(engine, year, people, actor)
            except Exception as exc:  # every waiter hears of it; the next batch still runs
                for future in waiting:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for future in waiting:
                    if not future.done():
                        future.set_result(run)


async def recompute_in_background(
    engine: AsyncEngine, touched: Touched, actor: Actor, rollups: Rollups
) -> None:
    """``recompute`` for a background task: a failure is logged (and recorded on its run)."""
    try:
        await recompute(engine, touched, actor, rollups)
    except Exception:
        logger.exception("incremental recompute after an ingest failed")
