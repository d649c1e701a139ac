"""What an ingest sets off once it has committed, in the background of its response."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR, Actor
from incentives.calc import incremental
from incentives.calc.incremental import Rollups
from incentives.games import achievements, standings
from incentives.ingest.touched import Touched
from incentives.recompute import pending


async def after_ingest(
    engine: AsyncEngine,
    touched: Touched,
    actor: Actor,
    rollups: Rollups | None,
    today: dt.date,
    pending_id: int | None = None,
) -> None:
    """Bring everything the ingest touched up to date, quickest-seen first.

    Contest standings first (boards move within a second); then the pay of the people the
    ingest names; then their achievements (a streak reads the attainment just written);
    and last the managers' rollups, the slowest, merged with other ingests' and needed by
    nothing before them. Each step logs its own failure and the next still runs (but the
    managers' stage, which follows from the people's). ``rollups``: where managers' runs
    are merged (see Rollups); None runs them here. ``pending_id``: the recompute owed
    (``pending.record``), forgotten once both pay stages have succeeded, kept otherwise
    to be made again.
    """
    await standings.update_in_background(engine, touched, today)
    stages = await incremental.people_in_background(engine, touched, actor)
    await achievements.evaluate_in_background(engine, touched, today, actor)
    if stages is None:
        return
    settled = await incremental.managers_in_background(engine, stages, actor, rollups)
    if settled and pending_id is not None:
        await pending.done(engine, pending_id)


async def after_import(engine: AsyncEngine, touched: Touched, pending_id: int) -> None:
    """``after_ingest`` for a CLI import, in the command's process, on today's UTC date
    (as the API's ingests)."""
    today = dt.datetime.now(dt.UTC).date()
    await after_ingest(engine, touched, CLI_ACTOR, None, today, pending_id)
