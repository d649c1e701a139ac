"""Database fixtures: a fresh database per test session, on the configured server or embedded.

With INCENTIVES_DATABASE_URL set the suite runs on that server and fails (never skips) if
it cannot connect; without it, it starts an embedded PostgreSQL in a temporary folder.
Each session creates its own database and drops it afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.db import migrate
from incentives.db.connection import make_engine, normalise_url
from incentives.db.embedded import embedded_server


def _driver_dsn(url: str) -> str:
    return make_url(normalise_url(url)).set(drivername="postgresql").render_as_string(False)


async def create_database(server_url: str, name: str) -> str:
    """Create an empty database beside the server URL's and return its URL."""
    conn = await asyncpg.connect(_driver_dsn(server_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return make_url(normalise_url(server_url)).set(database=name).render_as_string(False)


async def drop_database(server_url: str, name: str) -> None:
    """Drop a database created by create_database, even with connections left open."""
    conn = await asyncpg.connect(_driver_dsn(server_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def server_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """URL of a maintenance database on the server the tests use."""
    configured = os.environ.get("INCENTIVES_DATABASE_URL")
    if configured:
        try:
            conn = await asyncpg.connect(_driver_dsn(configured), timeout=10)
        except (OSError, asyncpg.PostgresError) as exc:
            pytest.fail(f"INCENTIVES_DATABASE_URL is set but the server cannot be reached: {exc}")
        await conn.close()
        yield configured
        return
    pgdata: Path = tmp_path_factory.mktemp("pgdata")
    async with embedded_server(pgdata, database="postgres") as url:
        yield url


@pytest.fixture(scope="session")
async def database_url(server_url: str) -> AsyncIterator[str]:
    """A database of this test session's own, migrated to head, dropped at the end."""
    name = f"incentives_test_{secrets.token_hex(6)}"
    url = await create_database(server_url, name)
    engine = make_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    yield url
    await drop_database(server_url, name)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The session's engine on its own database."""
    eng = make_engine(database_url)
    yield eng
    await eng.dispose()


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncEngine:
    """The engine, on a database emptied of all rows before the test."""
    async with engine.begin() as conn:
        tables = await conn.scalars(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                " AND tablename <> 'alembic_version'"
            )
        )
        names = ", ".join(f'"{t}"' for t in tables)
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    return engine
