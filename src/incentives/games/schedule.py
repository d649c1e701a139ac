"""The games' scheduled jobs: plain async functions of the engine and a clock.

``advance_contests`` starts contests whose first day has come and ends and awards those
whose last day is over; ``games_nightly`` rebuilds every live contest whole (catching
what no ingest announced: new hires, team moves, changed quotas), takes each board's
opening ranks for the day, and evaluates every achievement rule for everyone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import Actor
from incentives.games import achievements, contests

Clock = Callable[[], dt.datetime]


def _today(clock: Clock, timezone: str) -> dt.date:
    return clock().astimezone(ZoneInfo(timezone)).date()


async def advance_contests(
    engine: AsyncEngine, clock: Clock, *, timezone: str, actor: Actor
) -> dict[str, Any]:
    """Start, end and award the contests whose day has come (in ``timezone``)."""
    return await contests.advance(engine, _today(clock, timezone), actor)


async def games_nightly(
    engine: AsyncEngine, clock: Clock, *, timezone: str, actor: Actor
) -> dict[str, Any]:
    """Rebuild live contests with the day's opening ranks; evaluate every achievement."""
    today = _today(clock, timezone)
    rebuilt = await contests.rebuild_live(engine, today)
    outcome = await achievements.evaluate(engine, None, today, actor)
    return {
        "today": today.isoformat(),
        "rebuilt": rebuilt,
        "awarded": outcome.awarded,
        "revoked": outcome.revoked,
        "restored": outcome.restored,
    }
