"""Opening the configured database for a command: the URL given, or the embedded server."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

from sqlalchemy.ext.asyncio import AsyncEngine

from incentives import stopping
from incentives.config import Settings, load_settings
from incentives.db import migrate
from incentives.db.connection import make_engine
from incentives.db.embedded import embedded_server, embedded_server_blocking


@contextlib.asynccontextmanager
async def database_url(settings: Settings) -> AsyncIterator[str]:
    """The configured URL, or one on the embedded server (started here, stopped after)."""
    if settings.database_url:
        yield settings.database_url
        return
    async with embedded_server(settings.data_dir / "pgdata") as url:
        yield url


@contextlib.contextmanager
def database_url_blocking(settings: Settings) -> Iterator[str]:
    """``database_url`` for code without an event loop."""
    if settings.database_url:
        yield settings.database_url
        return
    with embedded_server_blocking(settings.data_dir / "pgdata") as url:
        yield url


async def migrate_url(url: str) -> None:
    """Migrate the database at ``url`` to head."""
    engine = make_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def open_database(settings: Settings, *, migrated: bool = True) -> AsyncIterator[AsyncEngine]:
    """An engine on the configured database, migrated to head unless told otherwise."""
    async with database_url(settings) as url:
        engine = make_engine(url, timeouts=settings.db_timeouts)
        try:
            if migrated:
                await migrate.upgrade(engine)
            yield engine
        finally:
            await engine.dispose()


def run_with_database(
    work: Callable[[AsyncEngine], Awaitable[int]], *, stopped: int = stopping.INTERRUPTED
) -> int:
    """Run a command's async work on the configured (migrated) database; its exit code,
    or ``stopped`` when SIGINT or SIGTERM cut it short (after the database is let go of
    and the embedded server stopped: see stopping.py)."""

    async def main() -> int:
        async with open_database(load_settings()) as engine:
            return await work(engine)

    return stopping.run(main(), stopped=stopped)
