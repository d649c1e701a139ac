"""Closing a period: a final calculation run, then its results frozen into statements.

``open → closing → closed``. Whoever moves the period from ``open`` to ``closing`` (a
conditional UPDATE, under a session advisory lock for the length of the close) is the one
closer, however many replicas or operators try at once. The final run writes the period's
results, adjustments for earlier closed periods included; then, in one transaction that
holds every plan's lock on the period, draft statements are made from its earning lines
and the period becomes ``closed``, after which the database refuses any change to its
results. A close that crashed half way leaves the period ``closing`` with its lock free:
the next attempt takes it up again.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg
import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives import errors
from incentives.audit import log as audit
from incentives.calc import changes
from incentives.calc.runs import calculate, lock
from incentives.db.connection import driver_of, driver_transaction
from incentives.db.limits import as_number
from incentives.payouts.statements import create_statements


class UnknownPeriod(errors.NotFound, LookupError):
    """No period has this label (or id)."""


class CloseRefused(errors.Conflict):
    """The period cannot be closed now: already closed, being closed, or out of order."""


class Closed(msgspec.Struct):
    """A closed period: its final run and the statements made."""

    period: str
    status: str
    closed_at: str
    run_id: int
    statements: int
    totals: dict[str, str]


async def resolve(conn: asyncpg.Connection, period: str) -> str:
    """The label of a period named by its label or its numeric id."""
    label: str | None = await conn.fetchval(
        "SELECT label FROM periods WHERE label = $1 OR ($2::bigint IS NOT NULL AND id = $2)",
        period,
        as_number(period),
    )
    if label is None:
        raise UnknownPeriod(f"no period {period!r}")
    return label


@contextlib.asynccontextmanager
async def _closer(engine: AsyncEngine, label: str) -> AsyncIterator[None]:
    """Hold the period's close lock for the whole close, or refuse at once."""
    async with engine.connect() as sa_conn:
        conn = await driver_of(sa_conn)
        key = f"close:{label}"
        if not await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", key):
            raise CloseRefused(f"{label} is being closed right now")
        try:
            yield
        finally:
            await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", key)


async def close_period(engine: AsyncEngine, period: str, actor: audit.Actor) -> Closed:
    """Close ``period`` (label or id) now: final run, statements, ``closed``."""
    async with engine.connect() as sa_conn:
        label = await resolve(await driver_of(sa_conn), period)
    async with _closer(engine, label):
        async with driver_transaction(engine) as conn:
            before = await _claim(conn, label)
        try:
            run = await calculate(engine, period=label, trigger="close", actor=actor, wait=True)
        except BaseException:
            async with driver_transaction(engine) as conn:
                await conn.execute(
                    "UPDATE periods SET status = 'open' WHERE label = $1 AND status = 'closing'",
                    label,
                )
            raise
        async with driver_transaction(engine, long=True) as conn:
            return await _freeze(conn, label, before, run.id, actor)


async def _claim(conn: asyncpg.Connection, label: str) -> str:
    """Move the period to ``closing``, or take up a close that crashed half way; the status
    it had."""
    row = await conn.fetchrow(
        "SELECT kind, start_date, status FROM periods WHERE label = $1 FOR UPDATE", label
    )
    assert row is not None
    if row["status"] == "closed":
        raise CloseRefused(f"{label} is already closed")
    earlier = await conn.fetchval(
        "SELECT label FROM periods WHERE kind = $1 AND start_date < $2 AND status <> 'closed'"
        " ORDER BY start_date LIMIT 1",
        row["kind"],
        row["start_date"],
    )
    if earlier is not None:
        raise CloseRefused(f"{earlier} is not closed yet; periods close in order")
    await conn.execute("UPDATE periods SET status = 'closing' WHERE label = $1", label)
    return str(row["status"])


async def _freeze(
    conn: asyncpg.Connection, label: str, before: str, run_id: int, actor: audit.Actor
) -> Closed:
    """Statements from the period's lines and the period ``closed``, in one transaction."""
    # Every plan's lock on the period: no run writes it between the statements and the close.
    for key in await conn.fetch(
        "SELECT DISTINCT key FROM plan_versions WHERE kind = 'commission' ORDER BY key"
    ):
        await lock(conn, key["key"], [label], None, wait=True)
    created = await create_statements(conn, label)
    closed_at = await conn.fetchval(
        "UPDATE periods SET status = 'closed', closed_at = now(), closed_by = $2"
        " WHERE label = $1 AND status = 'closing'"
        " RETURNING to_char(closed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
        label,
        actor.name,
    )
    assert closed_at is not None, "the close lock keeps the period closing"
    closed = Closed(label, "closed", closed_at, run_id, created.statements, created.totals)
    await audit.record(
        conn,
        actor,
        "close",
        "periods",
        key=label,
        before={"status": before},
        after=msgspec.to_builtins(closed),
    )
    # Readers holding copies of results learn that the period is now final.
    await changes.announce(conn, None)
    return closed
