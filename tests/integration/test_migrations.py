"""Migrations go from an empty database to head and back, on a database of their own, and
rewrite the rows they are meant to."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

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


# Statement lines as 0009 wrote them: an earning, a manual adjustment, a contest prize.
_LINES_0009 = """
WITH p AS (INSERT INTO participants (external_id, name, currency) VALUES ('rep', 'Rep', 'USD')
           RETURNING id),
     q AS (INSERT INTO periods (kind, label, fiscal_year, start_date, end_date)
           VALUES ('quarter', '2026-Q1', 2026, '2026-01-01', '2026-03-31') RETURNING label),
     s AS (INSERT INTO statements (participant_id, period, currency, total_minor)
           SELECT p.id, q.label, 'USD', 3 FROM p, q RETURNING id)
INSERT INTO statement_lines (statement_id, line_no, kind, component, name, amount_minor,
                             currency, trace)
SELECT s.id, n, kind, kind, kind, 1, 'USD', trace::jsonb FROM s, (VALUES
    (1, 'adjustment', '{"kind": "adjustment", "adjusts": "2025-Q4"}'),
    (2, 'adjustment', '{"kind": "adjustment", "manual_adjustment": 1, "dispute": null}'),
    (3, 'spiff', '{"kind": "spiff", "contest": "blitz", "rank": 1, "prize_payout": 1}')
) AS l(n, kind, trace)
"""


async def _trace_kinds(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        found = await conn.scalars(
            text("SELECT trace->>'kind' FROM statement_lines ORDER BY line_no")
        )
        return list(found)


async def test_manual_adjustments_and_prizes_get_trace_kinds_of_their_own(
    server_url: str,
) -> None:
    name = f"incentives_migrations_{secrets.token_hex(4)}"
    url = await create_database(server_url, name)
    engine = make_engine(url)
    try:
        await migrate.upgrade(engine, "0009")
        async with engine.begin() as conn:
            await conn.execute(text(_LINES_0009))
        await migrate.upgrade(engine)
        assert await _trace_kinds(engine) == ["adjustment", "manual_adjustment", "contest_prize"]
        # The lines are frozen again once the kinds are renamed.
        with pytest.raises(DBAPIError, match="statement lines are frozen"):
            async with engine.begin() as conn:
                await conn.execute(text("UPDATE statement_lines SET name = name"))
        await migrate.downgrade(engine, "0009")
        assert await _trace_kinds(engine) == ["adjustment", "adjustment", "spiff"]
    finally:
        await engine.dispose()
        await drop_database(server_url, name)
