"""Applying Alembic migrations from code (``incentives migrate``, ``serve``, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine


def migrations_dir() -> Path:
    """The ``migrations/`` folder at the top of the source tree."""
    return Path(__file__).resolve().parents[3] / "migrations"


def _config(connection: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.attributes["connection"] = connection
    return cfg


# Every process migrates on start (each API worker and replica, each CLI command): they
# take turns, and whoever comes second finds the database already at head.
_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('incentives:migrate'))")


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` in one transaction, one process at a time."""
    async with engine.begin() as conn:
        await conn.execute(_LOCK)
        await conn.run_sync(lambda sync: command.upgrade(_config(sync), revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Migrate the database down to ``revision`` (``base`` empties it)."""
    async with engine.begin() as conn:
        await conn.execute(_LOCK)
        await conn.run_sync(lambda sync: command.downgrade(_config(sync), revision))


async def current(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
