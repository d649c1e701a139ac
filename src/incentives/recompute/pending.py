"""Recomputes owed: what an ingest touched, kept until its recompute is done.

A row is written in the ingest's transaction, claimed for ``LEASE`` by the process that
recomputes at once, and deleted when that recompute is done. A process that dies, or a
recompute that fails, leaves the row behind: once its claim runs out, the scheduler's
``recompute-pending`` job takes it up again (see ``recover``).
"""

from __future__ import annotations

import datetime as dt

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.db.connection import driver_of, driver_transaction
from incentives.ingest.touched import Touched

# Longer than a background recompute takes on a busy day, managers' rollups included.
LEASE = dt.timedelta(minutes=10)
BATCH = 20


async def record(conn: asyncpg.Connection, touched: Touched) -> int:
    """Keep ``touched``, in the caller's transaction, as claimed by the caller; its id."""
    pending_id: int = await conn.fetchval(
        "INSERT INTO pending_recomputes (claimed_until, touched)"
        " VALUES (now() + $1::interval, $2::jsonb) RETURNING id",
        LEASE,
        touched.encoded().decode(),
    )
    return pending_id


async def done(engine: AsyncEngine, pending_id: int) -> None:
    """The recompute of ``pending_id`` is done: forget it."""
    async with driver_transaction(engine) as conn:
        await conn.execute("DELETE FROM pending_recomputes WHERE id = $1", pending_id)


async def claim_abandoned(engine: AsyncEngine) -> list[tuple[int, Touched]]:
    """Up to a batch of recomputes whose claim has run out, claimed anew by the caller."""
    async with driver_transaction(engine) as conn:
        rows = await conn.fetch(
            "UPDATE pending_recomputes p SET claimed_until = now() + $1::interval"
            " FROM (SELECT id FROM pending_recomputes WHERE claimed_until < now()"
            " ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) due"
            " WHERE p.id = due.id RETURNING p.id, p.touched::text AS touched",
            LEASE,
            BATCH,
        )
    return [(r["id"], Touched.decoded(r["touched"])) for r in rows]


async def oldest_age(engine: AsyncEngine) -> float:
    """Seconds since the oldest change still waiting for its recompute was made (0: none)."""
    async with engine.connect() as sa_conn:
        age = await (await driver_of(sa_conn)).fetchval(
            "SELECT extract(epoch FROM now() - min(created_at)) FROM pending_recomputes"
        )
    return 0.0 if age is None else float(age)
