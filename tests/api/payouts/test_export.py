"""Payroll export as CSV, then marking paid: idempotent, and only what was exported."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.cli import main
from tests.api.conftest import Client, Headers
from tests.api.payouts.conftest import Statements

HEADER = (
    "employee_id,name,period,currency,amount,earning,adjustment,draw,recovery,clawback,spiff,"
    "statement_id"
)


async def _approve(client: Client, auth: Headers, *statements: int) -> None:
    for sid in statements:
        submitted = await client.post(f"/api/v1/statements/{sid}/submit", headers=auth["finance"])
        assert submitted.status_code == 200, submitted.text
        approved = await client.post(f"/api/v1/statements/{sid}/approve", headers=auth["admin"])
        assert approved.status_code == 200, approved.text


async def _statuses(db: AsyncEngine) -> dict[int, tuple[str, bool, bool]]:
    """Per statement: status, whether exported, whether paid."""
    async with db.connect() as conn:
        rows = await conn.execute(
            text("SELECT id, status, exported_at IS NOT NULL, paid_at IS NOT NULL FROM statements")
        )
        return {r[0]: (r[1], r[2], r[3]) for r in rows}


async def _audited(db: AsyncEngine, action: str) -> list[str]:
    async with db.connect() as conn:
        rows = await conn.scalars(
            text(
                "SELECT entity_key FROM audit_log WHERE entity = 'statement' AND action = :a"
                " ORDER BY id"
            ),
            {"a": action},
        )
        return list(rows)


async def test_export_then_mark_paid_twice_pays_once(
    db: AsyncEngine, client: Client, statements: Statements
) -> None:
    auth, one, two = statements.auth, statements.rep_1, statements.rep_2
    await _approve(client, auth, one)
    # A read records nothing: the export is a POST.
    url = "/api/v1/payouts/export?period=2026-Q1&status=approved"
    assert (await client.get(url, headers=auth["finance"])).status_code == 405
    assert await _audited(db, "export") == []

    exported = await client.post(url, headers=auth["finance"])
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    assert 'filename="payouts-2026-Q1-approved.csv"' in exported.headers["content-disposition"]
    assert exported.text.splitlines() == [
        HEADER,
        f"rep-1,Rita Rep,2026-Q1,USD,1634.32,1234.57,0.00,0.00,0.00,-100.25,500.00,{one}",
    ]
    # rep-2's statement is approved only after the export: it is in no file yet.
    await _approve(client, auth, two)

    first = await client.post(
        "/api/v1/payouts/mark-paid", json={"period": "2026-Q1"}, headers=auth["finance"]
    )
    assert first.status_code == 200, first.text
    assert first.json() == {
        "paid": [one],
        "already_paid": [],
        "not_exported": [two],
        "amounts": {"USD": "1634.32"},
    }
    second = await client.post(
        "/api/v1/payouts/mark-paid", json={"period": "2026-Q1"}, headers=auth["finance"]
    )
    assert second.status_code == 200
    assert second.json() == {
        "paid": [],
        "already_paid": [one],
        "not_exported": [two],
        "amounts": {},
    }
    assert await _statuses(db) == {one: ("paid", True, True), two: ("approved", False, False)}
    assert await _audited(db, "export") == [str(one)]
    assert await _audited(db, "pay") == [str(one)]

    again = await client.post("/api/v1/payouts/export?period=2026-Q1", headers=auth["finance"])
    assert again.text.splitlines()[1:] == [
        f"rep-2,Ravi Rep,2026-Q1,USD,999.99,999.99,0.00,0.00,0.00,0.00,0.00,{two}"
    ]
    paid_file = await client.post(
        "/api/v1/payouts/export?period=2026-Q1&status=paid", headers=auth["finance"]
    )
    assert [line.split(",")[0] for line in paid_file.text.splitlines()] == ["employee_id", "rep-1"]
    assert await _audited(db, "export") == [str(one), str(two)]


async def test_named_statements_that_cannot_be_paid_refuse_the_whole_request(
    db: AsyncEngine, client: Client, statements: Statements
) -> None:
    auth, one, two = statements.auth, statements.rep_1, statements.rep_2
    await _approve(client, auth, one)
    await client.post("/api/v1/payouts/export?period=2026-Q1", headers=auth["finance"])
    refused = await client.post(
        "/api/v1/payouts/mark-paid", json={"statements": [one, two]}, headers=auth["finance"]
    )
    assert refused.status_code == 409
    assert refused.json()["errors"] == [
        {
            "field": "statements[1]",
            "message": f"statement {two} is draft; it must be approved to be paid",
        }
    ]
    assert (await _statuses(db))[one] == ("approved", True, False)

    unknown = await client.post(
        "/api/v1/payouts/mark-paid", json={"statements": [one, 999999]}, headers=auth["finance"]
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [
        {"field": "statements[1]", "message": "no statement 999999"}
    ]
    both = await client.post(
        "/api/v1/payouts/mark-paid",
        json={"period": "2026-Q1", "statements": [one]},
        headers=auth["finance"],
    )
    assert both.status_code == 422
    assert {e["field"] for e in both.json()["errors"]} == {"period", "statements"}

    paid = await client.post(
        "/api/v1/payouts/mark-paid", json={"statements": [one]}, headers=auth["finance"]
    )
    assert paid.json()["paid"] == [one]
    assert (await _statuses(db))[one] == ("paid", True, True)


async def test_export_refuses_unknown_periods_and_statuses(
    client: Client, statements: Statements
) -> None:
    finance = statements.auth["finance"]
    missing = await client.post("/api/v1/payouts/export?period=2031-Q1", headers=finance)
    assert missing.status_code == 404
    draft = await client.post("/api/v1/payouts/export?period=2026-Q1&status=draft", headers=finance)
    assert draft.status_code == 422
    assert draft.json()["errors"][0]["field"] == "status"
    no_period = await client.post("/api/v1/payouts/export", headers=finance)
    assert no_period.status_code == 400


async def test_text_that_a_spreadsheet_would_run_is_defused(
    db: AsyncEngine, client: Client, statements: Statements
) -> None:
    async with db.begin() as conn:
        await conn.execute(
            text("UPDATE participants SET name = '=HYPERLINK(\"x\")' WHERE external_id = 'rep-1'")
        )
    await _approve(client, statements.auth, statements.rep_1)
    exported = await client.post(
        "/api/v1/payouts/export?period=2026-Q1", headers=statements.auth["finance"]
    )
    assert exported.text.splitlines()[1].startswith('rep-1,"\'=HYPERLINK(""x"")",2026-Q1,')


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("INCENTIVES_DATABASE_URL", database_url)
    return database_url


async def test_the_cli_exports_marks_paid_and_pays_nothing_twice(
    db: AsyncEngine,
    client: Client,
    statements: Statements,
    cli_database: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    one, two = statements.rep_1, statements.rep_2
    await _approve(client, statements.auth, one, two)
    args = ["payouts", "export", "--period", "2026-Q1", "--mark-paid"]
    # The CLI runs its own event loop, so it runs in a thread here.
    assert await asyncio.to_thread(main, args) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        HEADER,
        f"rep-1,Rita Rep,2026-Q1,USD,1634.32,1234.57,0.00,0.00,0.00,-100.25,500.00,{one}",
        f"rep-2,Ravi Rep,2026-Q1,USD,999.99,999.99,0.00,0.00,0.00,0.00,0.00,{two}",
    ]
    assert "2 statements exported; 2 marked paid (2634.31 USD), 0 already paid" in err
    assert await _statuses(db) == {one: ("paid", True, True), two: ("paid", True, True)}

    assert await asyncio.to_thread(main, args) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [HEADER]
    assert "0 statements exported; 0 marked paid, 0 already paid" in err
    assert await asyncio.to_thread(main, ["payouts", "mark-paid", "--period", "2026-Q1"]) == 0
    assert capsys.readouterr().out.strip() == "0 marked paid, 2 already paid"
    assert await _audited(db, "pay") == [str(one), str(two)]
    assert await asyncio.to_thread(main, ["payouts", "export", "--period", "2031-Q1"]) == 1
    assert "no period '2031-Q1'" in capsys.readouterr().err
