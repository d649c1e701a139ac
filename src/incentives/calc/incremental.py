"""Recomputing only what an ingest touched, right after it commits.

The touched participants first, then their managers up the hierarchy, each for the
fiscal years of the touched dates: the whole year, because draws and year-to-date
true-ups carry later periods along with an earlier one. The people a deal names see
their new pay after the first, small run; managers' rollups, which read their whole
reporting line, follow in a second, merged with the managers' runs other ingests of the
process ask for meanwhile.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import Actor
from incentives.calc.runs import RunSummary, calculate
from incentives.db.connection import driver_of
from incentives.ingest.service import Touched

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


async def recompute(
    engine: AsyncEngine, touched: Touched, actor: Actor, rollups: Rollups | None = None
) -> list[RunSummary]:
    """Recompute the touched participant-years; waits for a run already over them.

    ``rollups``: merge the managers' runs with other callers' (see Rollups)."""
    if not touched:
        return []
    async with engine.connect() as sa_conn:
        conn = await driver_of(sa_conn)
        years: dict[str, set[int]] = {}
        for pid, day in sorted(touched.on_dates):
            label = await conn.fetchval(
                "SELECT label FROM periods WHERE kind = 'year' AND $1 BETWEEN start_date"
                " AND end_date",
                day,
            )
            if label is not None:
                years.setdefault(label, set()).add(pid)
        for pid, period in sorted(touched.in_periods):
            label = await conn.fetchval(
                "SELECT y.label FROM periods p JOIN periods y ON y.kind = 'year'"
                " AND p.start_date BETWEEN y.start_date AND y.end_date WHERE p.label = $1",
                period,
            )
            if label is not None:
                years.setdefault(label, set()).add(pid)
        stages = [
            (year, people, {r["id"] for r in await conn.fetch(_MANAGERS_UP, sorted(people))})
            for year, people in sorted(years.items())
        ]
    done = []
    for year, people, with_managers in stages:
        if people:
            done.append(await _run(engine, year, people, actor))
        managers = with_managers - people
        if managers:
            run = (
                await rollups.recompute(engine, year, managers, actor)
                if rollups is not None
                else await _run(engine, year, managers, actor)
            )
            done.append(run)
    return done


async def _run(engine: AsyncEngine, year: str, scope: set[int], actor: Actor) -> RunSummary:
    return await calculate(
        engine, period=year, participant_ids=scope, trigger="ingest", actor=actor, wait=True
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
        self, engine: AsyncEngine, year: str, managers: set[int], actor: Actor
    ) -> RunSummary:
        """Recompute ``managers`` for ``year`` in the next merged run; that run's summary."""
        people, waiting, _ = self._pending.setdefault(year, (set(), [], actor))
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
