"""Recomputing only what an ingest touched, right after it commits.

The touched participants first, then their managers up the hierarchy, each for the
fiscal years of the touched dates: the whole year, because draws and year-to-date
true-ups carry later periods along with an earlier one. The people a deal names see
their new pay after the first, small run; managers' rollups, which read their whole
reporting line, follow in a second.
"""

from __future__ import annotations

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


async def recompute(engine: AsyncEngine, touched: Touched, actor: Actor) -> list[RunSummary]:
    """Recompute the touched participant-years; waits for a run already over them."""
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
        for scope in (people, with_managers - people):
            if scope:
                done.append(
                    await calculate(
                        engine,
                        period=year,
                        participant_ids=scope,
                        trigger="ingest",
                        actor=actor,
                        wait=True,
                    )
                )
    return done


async def recompute_in_background(engine: AsyncEngine, touched: Touched, actor: Actor) -> None:
    """``recompute`` for a background task: a failure is logged (and recorded on its run)."""
    try:
        await recompute(engine, touched, actor)
    except Exception:
        logger.exception("incremental recompute after an ingest failed")
