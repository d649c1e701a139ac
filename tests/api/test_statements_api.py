"""Closing a period through the API, and statements read by whoever may see them.

The world (tests/api/conftest.py): rep-1 and rep-2 under mgr-1, rep-3 under mgr-2, on a
10% flat plan; Q1 pays rep-1 1,284.57, rep-2 50.00 and rep-3 100.00.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.conftest import Client, Headers


async def _close_q1(client: Client, world: Headers) -> dict[str, Any]:
    closed = await client.post("/api/v1/periods/2026-Q1/close", headers=world["finance"])
    assert closed.status_code == 200, closed.text
    body: dict[str, Any] = closed.json()
    return body


async def test_finance_closes_a_period_once(client: Client, world: Headers) -> None:
    refused = await client.post("/api/v1/periods/2026-Q1/close", headers=world["rep"])
    assert refused.status_code == 403
    out_of_order = await client.post("/api/v1/periods/2026-Q2/close", headers=world["finance"])
    assert out_of_order.status_code == 409
    assert out_of_order.json()["title"] == "2026-Q1 is not closed yet; periods close in order"
    body = await _close_q1(client, world)
    assert (body["period"], body["status"], body["statements"], body["totals"]) == (
        "2026-Q1",
        "closed",
        3,
        {"USD": "1434.57"},
    )
    again = await client.post("/api/v1/periods/2026-Q1/close", headers=world["finance"])
    assert again.status_code == 409
    assert again.json()["title"] == "2026-Q1 is already closed"
    unknown = await client.post("/api/v1/periods/2031-Q1/close", headers=world["finance"])
    assert unknown.status_code == 404
    periods = await client.get("/api/v1/periods?fiscal_year=2026", headers=world["rep"])
    assert {p["label"]: p["status"] for p in periods.json()}["2026-Q1"] == "closed"


async def test_everyone_lists_the_statements_they_may_see(client: Client, world: Headers) -> None:
    await _close_q1(client, world)

    async def listed(role: str, query: str = "") -> list[tuple[str, str]]:
        answer = await client.get(f"/api/v1/statements{query}", headers=world[role])
        assert answer.status_code == 200, answer.text
        return sorted((s["participant"], s["total"]) for s in answer.json())

    assert await listed("rep") == [("rep-1", "1284.57")]
    assert await listed("manager") == [("rep-1", "1284.57"), ("rep-2", "50.00")]
    everyone = [("rep-1", "1284.57"), ("rep-2", "50.00"), ("rep-3", "100.00")]
    assert await listed("finance", "?period=2026-Q1&status=draft") == everyone
    assert await listed("finance", "?participant=rep-3") == [("rep-3", "100.00")]
    assert await listed("finance", "?period=2026-Q2") == []
    bad = await client.get("/api/v1/statements?status=lost", headers=world["finance"])
    assert bad.status_code == 400
    assert (await client.get("/api/v1/statements", headers=world["integration"])).status_code == 403
    # A rep's own statement list shows the real statement now that Q1 is closed.
    mine = await client.get("/api/v1/me/statements", headers=world["rep"])
    [statement] = mine.json()
    assert (statement["period"], statement["total"], statement["status"], statement["lines"]) == (
        "2026-Q1",
        "1284.57",
        "draft",
        1,
    )
    assert statement["id"] is not None and statement["plan"] is None


async def test_a_statement_reads_as_json_csv_and_html(client: Client, world: Headers) -> None:
    await _close_q1(client, world)
    [own] = (await client.get("/api/v1/statements", headers=world["rep"])).json()
    sid = own["id"]
    body = (await client.get(f"/api/v1/statements/{sid}", headers=world["rep"])).json()
    assert (body["participant"], body["period"], body["currency"], body["total"]) == (
        "rep-1",
        "2026-Q1",
        "USD",
        "1284.57",
    )
    assert (body["period_start"], body["period_end"], body["subtotals"]) == (
        "2026-01-01",
        "2026-03-31",
        {"earning": "1284.57"},
    )
    [line] = body["lines"]
    assert (line["kind"], line["plan"], line["component"], line["amount"]) == (
        "earning",
        "flat",
        "commission",
        "1284.57",
    )
    assert line["trace"]["kind"] == "rate"

    for path, headers in [
        (f"/api/v1/statements/{sid}?format=csv", world["rep"]),
        (f"/api/v1/statements/{sid}.csv", world["rep"]),
        (f"/api/v1/statements/{sid}", {**world["rep"], "Accept": "text/csv"}),
    ]:
        answer = await client.get(path, headers=headers)
        assert answer.status_code == 200, path
        assert answer.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(answer.text)))
        assert [(r["kind"], r["name"], r["amount"]) for r in rows] == [
            ("earning", "Commission", "1284.57"),
            ("total", "Total payable", "1284.57"),
        ]

    page = await client.get(f"/api/v1/statements/{sid}.html", headers=world["rep"])
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Total payable" in page.text and "$1,284.57" in page.text and "RITA REP" not in page.text
    assert "Rita Rep" in page.text and "2026-01-01 to 2026-03-31" in page.text
    same = await client.get(f"/api/v1/statements/{sid}?format=html", headers=world["finance"])
    assert same.text == page.text


async def test_a_statement_csv_defuses_text_a_spreadsheet_would_run(
    db: AsyncEngine, client: Client, world: Headers
) -> None:
    async with db.begin() as conn:
        await conn.execute(
            text("UPDATE participants SET name = '=HYPERLINK(\"x\")' WHERE external_id = 'rep-1'")
        )
    await _close_q1(client, world)
    [own] = (await client.get("/api/v1/statements", headers=world["rep"])).json()
    answer = await client.get(f"/api/v1/statements/{own['id']}.csv", headers=world["rep"])
    lines = answer.text.splitlines()
    # As in the payroll export: an apostrophe first, so the cell shows as text.
    assert lines[1] == (
        f'{own["id"]},rep-1,"\'=HYPERLINK(""x"")",2026-Q1,1,earning,flat,commission,'
        "Commission,1284.57,USD"
    )
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert {r["participant_name"] for r in rows} == {'\'=HYPERLINK("x")'}


async def test_nobody_reads_a_statement_they_may_not_see(client: Client, world: Headers) -> None:
    await _close_q1(client, world)
    statements = (await client.get("/api/v1/statements", headers=world["finance"])).json()
    ids = {s["participant"]: s["id"] for s in statements}
    for path in (f"{ids['rep-2']}", f"{ids['rep-2']}.html", f"{ids['rep-2']}?format=csv"):
        theirs = await client.get(f"/api/v1/statements/{path}", headers=world["rep"])
        assert theirs.status_code == 404, path
    ghost = await client.get("/api/v1/statements/999999", headers=world["rep"])
    assert ghost.json()["title"] == theirs.json()["title"] == "No such statement"
    outside = await client.get(f"/api/v1/statements/{ids['rep-3']}", headers=world["manager"])
    assert outside.status_code == 404
    inside = await client.get(f"/api/v1/statements/{ids['rep-2']}", headers=world["manager"])
    assert inside.json()["total"] == "50.00"
    nonsense = await client.get("/api/v1/statements/abc.pdf", headers=world["finance"])
    assert nonsense.status_code == 404
