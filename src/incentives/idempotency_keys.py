"""How long an ``Idempotency-Key`` lives: a key older than its lifetime is forgotten, so
its caller may use it again, and the scheduler purges such keys with their kept answers
(``api/idempotency.py`` uses the keys)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.db.connection import driver_transaction


async def forget_expired(conn: asyncpg.Connection, principal_id: int, key: str, hours: int) -> None:
    """Drop the caller's ``key`` if it has outlived ``hours``, in the caller's transaction
    (before it is claimed again), whether or not the purge has come by yet."""
    await conn.execute(
        "DELETE FROM idempotency_keys WHERE principal_id = $1 AND key = $2"
        " AND created_at < now() - make_interval(hours => $3)",
        principal_id,
        key,
        hours,
    )


async def purge_expired(
    engine: AsyncEngine, clock: Callable[[], dt.datetime], *, hours: int
) -> dict[str, Any]:
    """Delete every key (and its kept answer) older than ``hours`` as of ``clock()``."""
    cutoff = clock() - dt.timedelta(hours=hours)
    async with driver_transaction(engine) as conn:
        purged = await conn.fetchval(
            "WITH gone AS (DELETE FROM idempotency_keys WHERE created_at < $1 RETURNING 1)"
            " SELECT count(*) FROM gone",
            cutoff,
        )
    return {"before": cutoff.isoformat(), "purged": purged}
