"""Migrations go from an empty database to head and back, on a database of their own."""

from __future__ import annotations

import asyncio
import secrets

from sqlalchemy import text

from incentives.db import migrate
from incentives.db.connection import make_engine
from incentives.db.models import Base
from tests.conftest import create_database, drop_database


async def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.scalars(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
            return set(rows)
    finally:
        await engine.dispose()


async def test_upgrade_to_head_downgrade_to_base_and_again(server_url: str) -> None:
    name = f"incentives_migrations_{secrets.token_hex(4)}"
    url = await create_database(server_url, name)
    engine = make_engine(url)
    try:
        await migrate.upgrade(engine)
        assert await migrate.current(engine) is not None
        assert set(Base.metadata.tables) <= await _tables(url)
        await migrate.downgrade(engine, "base")
        assert await migrate.current(engine) is None
        assert await _tables(url) == {"alembic_version"}
        await migrate.upgrade(engine)
        assert set(Base.metadata.tables) <= await _tables(url)
    finally:
        await engine.dispose()
        await drop_database(server_url, name)


async def test_processes_starting_together_migrate_once(server_url: str) -> None:
    # API workers and replicas all migrate as they start, at the same moment.
    name = f"incentives_migrations_{secrets.token_hex(4)}"
    url = await create_database(server_url, name)
    engines = [make_engine(url) for _ in range(4)]
    try:
        # Unserialised, they fail on duplicate objects or deadlock: bounded, so that fails too.
        await asyncio.wait_for(
            asyncio.gather(*(migrate.upgrade(engine) for engine in engines)), timeout=60
        )
        assert set(Base.metadata.tables) <= await _tables(url)
    finally:
        for engine in engines:
            await engine.dispose()
        await drop_database(server_url, name)
