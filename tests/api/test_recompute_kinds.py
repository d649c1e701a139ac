"""Ingests of people, the hierarchy and plan assignments, through the API or a CLI import,
bring the pay they change up to date without a requested run."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives import cli
from incentives.db.connection import normalise_url
from tests.api.conftest import Client, Headers
from tests.api.test_after_ingest import _pay

MANAGER_ON_PLAN = {"plan": "flat", "participant": "mgr-1", "valid_from": "2026-01-01"}
# 10% of what rep-1 and rep-2 closed in 2026-Q1 (12,345.67 and 1,000.00), rolled up.
MANAGER_PAY = 133457


async def _ingest(client: Client, headers: dict[str, str], kind: str, item: Any) -> None:
    answer = await client.post(f"/api/v1/ingest/{kind}", json={"items": [item]}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] + answer.json()["updated"] == 1


async def test_plan_assignment_and_hierarchy_ingests_recompute_a_managers_pay(
    db: AsyncEngine, client: Client, world: Headers
) -> None:
    assert await _pay(db, "mgr-1") is None
    on_plan = MANAGER_ON_PLAN | {"currency": "USD"}
    await _ingest(client, world["integration"], "plan_assignments", on_plan)
    assert await _pay(db, "mgr-1") == MANAGER_PAY
    # rep-3 moves under mgr-1 for good: 10% of their 999.99 rolls up too.
    moved = {"participant": "rep-3", "manager": "mgr-1", "team": "east"}
    await _ingest(client, world["integration"], "assignments", moved | {"valid_from": "2025-01-01"})
    assert await _pay(db, "mgr-1") == MANAGER_PAY + 10000


async def test_a_participants_ingest_recomputes_a_leavers_pay(
    db: AsyncEngine, client: Client, world: Headers
) -> None:
    assert await _pay(db, "rep-1") == 128457
    # rep-1 leaves on 10 February: their share of D-2, closed on 31 March, is not theirs.
    leaver = {"external_id": "rep-1", "name": "Rita Rep", "currency": "USD"}
    await _ingest(client, world["integration"], "participants", leaver | {"end_date": "2026-02-10"})
    assert await _pay(db, "rep-1") == 123457


def _managers_pay_and_owed(database_url: str) -> tuple[int | None, int]:
    async def read() -> tuple[int | None, int]:
        dsn = make_url(normalise_url(database_url)).set(drivername="postgresql")
        conn = await asyncpg.connect(dsn.render_as_string(False))
        try:
            row = await conn.fetchrow(
                "SELECT (SELECT r.total_minor FROM participant_results r"
                " JOIN participants p ON p.id = r.participant_id"
                " WHERE p.external_id = 'mgr-1' AND r.period = '2026-Q1'),"
                " (SELECT count(*) FROM pending_recomputes)"
            )
        finally:
            await conn.close()
        assert row is not None
        return row[0], row[1]

    return asyncio.run(read())


def test_a_cli_import_recomputes_the_pay_it_touches(
    world: Headers, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INCENTIVES_DATABASE_URL", database_url)
    path = tmp_path / "plans.csv"
    path.write_text("plan,participant,valid_from,currency\nflat,mgr-1,2026-01-01,USD\n")
    assert _managers_pay_and_owed(database_url) == (None, 0)
    assert cli.main(["import", "plan_assignments", str(path)]) == 0
    assert _managers_pay_and_owed(database_url) == (MANAGER_PAY, 0)
