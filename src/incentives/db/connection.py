"""Async engines and sessions on PostgreSQL (asyncpg)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from incentives.config import Timeouts


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the asyncpg driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


# A custom setting every connection carries, so that the long statement timeout can be
# taken up by a transaction without passing it down through every caller.
_LONG_SETTING = "incentives.long_statement_timeout"


def make_engine(url: str, *, pool_size: int = 10, timeouts: Timeouts | None = None) -> AsyncEngine:
    """An async engine on the given PostgreSQL URL, its waits bounded by ``timeouts``."""
    limits = timeouts or Timeouts()
    return create_async_engine(
        # No ping before every checkout: it costs a round trip per request, and a
        # connection found dead invalidates the pool anyway.
        normalise_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        # A request waits for a pooled connection no longer than it would for a new one.
        pool_timeout=limits.connect,
        connect_args={
            "timeout": limits.connect,
            "server_settings": {
                "statement_timeout": _milliseconds(limits.statement),
                _LONG_SETTING: _milliseconds(limits.long_statement),
            },
        },
    )


def _milliseconds(seconds: float) -> str:
    return str(round(seconds * 1000))


async def allow_long(conn: asyncpg.Connection) -> None:
    """Let the statements of the current transaction run for the long statement timeout
    (calculation runs, imports, closes), not the one of requests."""
    await conn.execute(
        f"SELECT set_config('statement_timeout', coalesce(current_setting('{_LONG_SETTING}',"
        " true), current_setting('statement_timeout')), true)"
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


@contextlib.asynccontextmanager
async def driver_transaction(
    engine: AsyncEngine, *, long: bool = False
) -> AsyncIterator[asyncpg.Connection]:
    """One transaction on the pooled driver connection, for COPY and pipelined writes;
    ``long``: its statements may run for the long statement timeout (``allow_long``).

    Commits when the block ends normally and rolls back on any exception, so a failed
    batch leaves nothing behind.
    """
    async with engine.connect() as conn:
        driver = await driver_of(conn)
        async with driver.transaction():
            if long:
                await allow_long(driver)
            yield driver


async def driver_of(conn: AsyncConnection) -> asyncpg.Connection:
    """The asyncpg connection under a SQLAlchemy connection."""
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert isinstance(driver, asyncpg.Connection)
    return driver
