"""The command line on a real database: users get a working token, shown once."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api.loopback import loopback
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
        grant = (await by_tokens(await driver_of(conn), [token])).get(token)
        stored = (await conn.execute(text("SELECT token_hash FROM api_tokens"))).scalar()
        audit = (await conn.execute(text("SELECT action, entity, channel FROM audit_log"))).all()
    assert grant is not None and grant.principal.role == "finance"
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


async def _refused_within(client: httpx.AsyncClient, token: str, seconds: float) -> str:
    """The title of the 401 the token gets within ``seconds``; fails if it still works."""
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(int(seconds / 0.02)):
        answer = await client.get("/api/v1/me", headers=headers)
        if answer.status_code != 200:
            break
        await asyncio.sleep(0.02)
    assert answer.status_code == 401
    return str(answer.json()["title"])


async def test_users_tokens_and_revoke_from_the_cli_reach_a_running_server(
    db: AsyncEngine, cli_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["users", "create", "--role", "finance", "--expires-in", "90d"]
    assert await asyncio.to_thread(main, args) == 0
    printed = capsys.readouterr()
    token = printed.out.strip().splitlines()[-1]
    user = printed.err.split()[1].rstrip(",.")
    expected = (dt.datetime.now(dt.UTC) + dt.timedelta(days=90)).strftime("%Y-%m-%d")
    assert f"expires {expected}" in printed.err
    assert await asyncio.to_thread(main, ["users", "tokens", user]) == 0
    listed = capsys.readouterr().out
    assert token not in listed and token[:10] in listed
    (row,) = listed.splitlines()[1:]
    token_id, _, _, status, _, expires, revoked = row.split()
    assert (status, expires[:10], revoked) == ("active", expected, "-")
    async with loopback(db) as base, httpx.AsyncClient(base_url=base) as client:
        # Accepted, so the server keeps it for a few seconds.
        headers = {"Authorization": f"Bearer {token}"}
        assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
        assert await asyncio.to_thread(main, ["users", "revoke", token_id]) == 0
        # Refused at once (not when the kept entry runs out, seconds later).
        assert await _refused_within(client, token, 0.5) == "The bearer token has been revoked"
    assert "revoked" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["users", "tokens", user]) == 0
    assert " revoked " in capsys.readouterr().out


async def test_users_revoke_all_of_a_user(
    db: AsyncEngine, cli_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await asyncio.to_thread(main, ["users", "create", "--role", "admin"]) == 0
    printed = capsys.readouterr()
    user = printed.err.split()[1].rstrip(",.")
    assert await asyncio.to_thread(main, ["users", "revoke", "--all-of", user]) == 0
    assert "1 token(s) revoked" in capsys.readouterr().err
    token = printed.out.strip().splitlines()[-1]
    async with db.connect() as conn:
        grant = (await by_tokens(await driver_of(conn), [token]))[token]
    assert grant.revoked
    assert await asyncio.to_thread(main, ["users", "revoke", "--all-of", "999999"]) == 2
    assert "No user 999999" in capsys.readouterr().err
    assert await asyncio.to_thread(main, ["users", "tokens", "999999"]) == 2
    bad = ["users", "create", "--role", "admin", "--expires-at", "2020-01-01T00:00:00Z"]
    assert await asyncio.to_thread(main, bad) == 2
    assert "expires_at: must be in the future" in capsys.readouterr().err
