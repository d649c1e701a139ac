"""The scheduler's catch-up: recomputes an ingest set off that never finished."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import Actor
from incentives.recompute import pending
from incentives.recompute.after_ingest import after_ingest


async def recompute_abandoned(
    engine: AsyncEngine, clock: Callable[[], dt.datetime], *, timezone: str, actor: Actor
) -> dict[str, Any]:
    """Make again every recompute whose process died or whose run failed (its claim has
    run out); one that fails again waits for its next claim to run out."""
    today = clock().astimezone(ZoneInfo(timezone)).date()
    made: list[int] = []
    while claimed := await pending.claim_abandoned(engine):
        for pending_id, touched in claimed:
            await after_ingest(engine, touched, actor, None, today, pending_id)
            made.append(pending_id)
    return {"today": today.isoformat(), "recomputed": made}
