"""The command line on a real database: users get a working token, shown once."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.auth.principals import by_tokens
from incentives.cli import main
from incentives.db.connection import driver_of


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("INCENTIVES_DATABASE_URL", database_url)
    return database_url


async def test_users_create_prints_a_token_that_authenticates(
    db: AsyncEngine, cli_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The CLI runs its own event loop, so it runs in a thread here.
    assert await asyncio.to_thread(main, ["users", "create", "--role", "finance"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    async with db.connect() as conn:
        principal = (await by_tokens(await driver_of(conn), [token])).get(token)
        stored = (await conn.execute(text("SELECT token_hash FROM api_tokens"))).scalar()
        audit = (await conn.execute(text("SELECT action, entity, channel FROM audit_log"))).all()
    assert principal is not None and principal.role == "finance"
    assert token not in str(stored)
    assert [tuple(a) for a in audit] == [("create", "principal", "cli")]


async def test_a_rep_must_be_a_participant(
    db: AsyncEngine, cli_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await asyncio.to_thread(main, ["users", "create", "--role", "rep"])
    assert code == 2
    assert "a rep must be linked to a participant" in capsys.readouterr().err
    code = await asyncio.to_thread(
        main, ["users", "create", "--role", "rep", "--participant", "ghost"]
    )
    assert code == 2
    assert "unknown participant 'ghost'" in capsys.readouterr().err


async def test_periods_generate_from_the_cli(
    db: AsyncEngine, cli_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["periods", "generate", "--year", "2027", "--first-month", "4"]
    assert await asyncio.to_thread(main, args) == 0
    assert "17 periods created" in capsys.readouterr().out
    async with db.connect() as conn:
        first = (
            await conn.execute(
                text("SELECT label, start_date::text FROM periods ORDER BY start_date LIMIT 1")
            )
        ).one()
    assert tuple(first) == ("2027", "2027-04-01")


async def test_plans_publish_dry_run_and_calc_from_the_cli(
    db: AsyncEngine, cli_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = "plans/account-executive.yaml"
    assert await asyncio.to_thread(main, ["plans", "publish", "--dry-run", plan]) == 0
    assert "nothing published" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["plans", "publish", plan]) == 0
    assert capsys.readouterr().out.strip() == "account-executive v1: published"
    assert await asyncio.to_thread(main, ["plans", "publish", plan]) == 0
    assert "unchanged" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["calc", "--period", "2026-Q1"]) == 1
    assert "unknown period '2026-Q1'" in capsys.readouterr().err
    assert await asyncio.to_thread(main, ["periods", "generate", "--year", "2026"]) == 0
    assert await asyncio.to_thread(main, ["calc", "--period", "2026-Q1"]) == 0
    assert "succeeded" in capsys.readouterr().out


async def test_import_prints_near_miss_warnings_on_stderr(
    db: AsyncEngine, cli_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = "plans/account-executive.yaml"
    assert await asyncio.to_thread(main, ["plans", "publish", plan]) == 0
    people = "tests/data/participants.csv"
    assert await asyncio.to_thread(main, ["import", "participants", people]) == 0
    capsys.readouterr()
    deals = "tests/data/deals.csv"
    assert await asyncio.to_thread(main, ["import", "deals", deals]) == 0
    captured = capsys.readouterr()
    assert "imported" in captured.out  # the rows are imported all the same
    assert (
        f"incentives import: warning: {deals}:2: product: 'platform' matches no plan exactly;"
        " plans name 'Platform'"
    ) in captured.err.splitlines()
    async with db.connect() as conn:
        stored = await conn.scalar(text("SELECT product FROM deals WHERE external_id = 'D-1001'"))
    assert stored == "platform"
