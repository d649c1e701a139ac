"""Disputes: a rep asks about a line, finance answers and resolves, the rep sees the status."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.conftest import Client
from tests.api.payouts.conftest import Statements


def _lines(statement: int, line_no: int) -> str:
    return f"/api/v1/statements/{statement}/lines/{line_no}/disputes"


async def _adjustments(db: AsyncEngine) -> list[tuple[Any, ...]]:
    async with db.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT p.external_id, m.period, m.amount_minor, m.currency, m.reason,"
                " m.dispute_id, m.statement_id FROM manual_adjustments m"
                " JOIN participants p ON p.id = m.participant_id ORDER BY m.id"
            )
        )
        return [tuple(r) for r in rows]


async def test_a_dispute_accepted_with_an_adjustment_pays_it_in_the_next_open_period(
    db: AsyncEngine, client: Client, statements: Statements
) -> None:
    auth, sid = statements.auth, statements.rep_1
    opened = await client.post(
        _lines(sid, 2), json={"message": "The SPIFF was 750, not 500"}, headers=auth["rep"]
    )
    assert opened.status_code == 201, opened.text
    dispute = opened.json()
    assert (dispute["status"], dispute["line_name"], dispute["line_amount"]) == (
        "open",
        "Q1 platform SPIFF",
        "500.00",
    )
    assert (dispute["participant"], dispute["period"], dispute["opened_by"]) == (
        "rep-1",
        "2026-Q1",
        "test rep",
    )
    twice = await client.post(_lines(sid, 2), json={"message": "again"}, headers=auth["rep"])
    assert twice.status_code == 409

    answered = await client.post(
        f"/api/v1/disputes/{dispute['id']}/answer",
        json={"answer": "Checking the SPIFF table"},
        headers=auth["finance"],
    )
    assert answered.status_code == 200, answered.text
    assert (answered.json()["status"], answered.json()["answered_by"]) == (
        "answered",
        "test finance",
    )
    mine = await client.get("/api/v1/disputes", headers=auth["rep"])
    assert [(d["id"], d["status"], d["answer"]) for d in mine.json()] == [
        (dispute["id"], "answered", "Checking the SPIFF table")
    ]

    resolved = await client.post(
        f"/api/v1/disputes/{dispute['id']}/resolve",
        json={"outcome": "accepted", "adjustment": "250.00", "reason": "SPIFF table was wrong"},
        headers=auth["finance"],
    )
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    assert (body["status"], body["resolution_reason"], body["resolved_by"]) == (
        "accepted",
        "SPIFF table was wrong",
        "test finance",
    )
    assert body["adjustment"] == {
        "amount": "250.00",
        "currency": "USD",
        "period": "2026-Q2",
        "statement": None,
    }
    assert await _adjustments(db) == [
        ("rep-1", "2026-Q2", 25000, "USD", "SPIFF table was wrong", dispute["id"], None)
    ]
    # The disputed statement is untouched: approved amounts never change.
    async with db.connect() as conn:
        total = await conn.scalar(
            text("SELECT total_minor FROM statements WHERE id = :id"), {"id": sid}
        )
    assert total == 163432
    seen = await client.get(f"/api/v1/disputes/{dispute['id']}", headers=auth["rep"])
    assert (seen.json()["status"], seen.json()["adjustment"]["amount"]) == ("accepted", "250.00")
    late = await client.post(
        f"/api/v1/disputes/{dispute['id']}/resolve",
        json={"outcome": "declined", "reason": "no"},
        headers=auth["admin"],
    )
    assert late.status_code == 409
    reopened = await client.post(_lines(sid, 2), json={"message": "one more"}, headers=auth["rep"])
    assert reopened.status_code == 201

    async with db.connect() as conn:
        trail = await conn.execute(
            text(
                "SELECT entity, action, after FROM audit_log"
                " WHERE entity IN ('dispute', 'manual_adjustment') ORDER BY id"
            )
        )
        actions = [(r[0], r[1]) for r in trail]
    assert actions == [
        ("dispute", "open"),
        ("dispute", "answer"),
        ("manual_adjustment", "create"),
        ("dispute", "resolve"),
        ("dispute", "open"),
    ]


async def test_a_declined_dispute_names_its_reason_and_pays_nothing(
    db: AsyncEngine, client: Client, statements: Statements
) -> None:
    auth = statements.auth
    opened = await client.post(
        _lines(statements.rep_1, 3), json={"message": "Why a clawback?"}, headers=auth["rep"]
    )
    url = f"/api/v1/disputes/{opened.json()['id']}/resolve"
    no_reason = await client.post(url, json={"outcome": "declined"}, headers=auth["finance"])
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "reason"
    paying = await client.post(
        url,
        json={"outcome": "declined", "reason": "x", "adjustment": "1.00"},
        headers=auth["finance"],
    )
    assert paying.status_code == 422
    assert paying.json()["errors"][0]["field"] == "adjustment"
    declined = await client.post(
        url,
        json={"outcome": "declined", "reason": "Deal D-7 was cancelled within 90 days"},
        headers=auth["finance"],
    )
    assert declined.status_code == 200, declined.text
    assert (declined.json()["status"], declined.json()["adjustment"]) == ("declined", None)
    assert await _adjustments(db) == []
    mine = await client.get("/api/v1/disputes?status=declined", headers=auth["rep"])
    assert [d["resolution_reason"] for d in mine.json()] == [
        "Deal D-7 was cancelled within 90 days"
    ]


async def test_an_accepted_adjustment_is_exact_and_lands_in_an_open_period(
    db: AsyncEngine, client: Client, statements: Statements
) -> None:
    auth, sid = statements.auth, statements.rep_1

    async def ask(line_no: int) -> tuple[int, str]:
        opened = await client.post(_lines(sid, line_no), json={"message": "?"}, headers=auth["rep"])
        assert opened.status_code == 201, opened.text
        return opened.json()["id"], f"/api/v1/disputes/{opened.json()['id']}/resolve"

    first, url = await ask(1)
    for body, field, status in [
        ({"outcome": "accepted"}, "adjustment", 422),
        ({"outcome": "accepted", "adjustment": "10.005"}, "adjustment", 422),
        # Not a number at all: refused as the body is read, like any malformed field.
        ({"outcome": "accepted", "adjustment": "ten"}, "adjustment", 400),
        ({"outcome": "accepted", "adjustment": "0.00"}, "adjustment", 422),
        ({"outcome": "accepted", "adjustment": "10", "period": "2026-Q1"}, "period", 422),
        ({"outcome": "accepted", "adjustment": "10", "period": "2099-Q1"}, "period", 422),
    ]:
        refused = await client.post(url, json=body, headers=auth["finance"])
        assert refused.status_code == status, (body, refused.text)
        assert refused.json()["errors"][0]["field"] == field
    assert await _adjustments(db) == []

    # The next open quarter after Q1, skipping closed ones.
    async with db.begin() as conn:
        await conn.execute(
            text("UPDATE periods SET status = 'closed' WHERE label IN ('2026-Q2', '2026-Q3')")
        )
    q4 = await client.post(
        url, json={"outcome": "accepted", "adjustment": "1"}, headers=auth["finance"]
    )
    assert q4.json()["adjustment"]["period"] == "2026-Q4"

    async with db.begin() as conn:
        await conn.execute(text("UPDATE periods SET status = 'closed' WHERE label = '2026-Q4'"))
    second, url = await ask(2)
    none_open = await client.post(
        url, json={"outcome": "accepted", "adjustment": "1"}, headers=auth["finance"]
    )
    assert none_open.status_code == 422
    assert none_open.json()["errors"] == [
        {
            "field": "period",
            "message": "no open quarter after 2026-Q1: generate the next fiscal year,"
            " or name an open period",
        }
    ]
    named = await client.post(
        url,
        json={"outcome": "accepted", "adjustment": "-0.01", "period": "2026-05"},
        headers=auth["finance"],
    )
    assert named.status_code == 200, named.text
    accepted = f"on statement {sid} line"
    assert await _adjustments(db) == [
        ("rep-1", "2026-Q4", 100, "USD", f"Inquiry {first} {accepted} 1 accepted", first, None),
        ("rep-1", "2026-05", -1, "USD", f"Inquiry {second} {accepted} 2 accepted", second, None),
    ]


async def test_a_rep_cannot_dispute_or_see_another_reps_statement(
    client: Client, statements: Statements
) -> None:
    auth = statements.auth
    theirs = await client.post(
        _lines(statements.rep_2, 1), json={"message": "mine?"}, headers=auth["rep"]
    )
    nobodys = await client.post(_lines(999999, 1), json={"message": "mine?"}, headers=auth["rep"])
    assert theirs.status_code == nobodys.status_code == 404
    assert theirs.json()["title"].replace(str(statements.rep_2), "N") == nobodys.json()[
        "title"
    ].replace("999999", "N")
    other = await client.get(f"/api/v1/statements/{statements.rep_2}", headers=auth["rep"])
    missing = await client.get("/api/v1/statements/999999", headers=auth["rep"])
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    no_line = await client.post(
        _lines(statements.rep_1, 9), json={"message": "?"}, headers=auth["rep"]
    )
    assert no_line.status_code == 404

    opened = await client.post(
        _lines(statements.rep_2, 1), json={"message": "Where is D-3?"}, headers=auth["rep-2"]
    )
    assert opened.status_code == 201
    dispute = opened.json()["id"]
    assert (await client.get(f"/api/v1/disputes/{dispute}", headers=auth["rep"])).status_code == 404
    assert (await client.get("/api/v1/disputes", headers=auth["rep"])).json() == []
    assert [
        d["id"] for d in (await client.get("/api/v1/disputes", headers=auth["rep-2"])).json()
    ] == [dispute]
    every = await client.get("/api/v1/disputes?status=open", headers=auth["finance"])
    assert [d["participant"] for d in every.json()] == ["rep-2"]
    for action, body in [
        ("answer", {"answer": "yes"}),
        ("resolve", {"outcome": "declined", "reason": "no"}),
    ]:
        refused = await client.post(
            f"/api/v1/disputes/{dispute}/{action}", json=body, headers=auth["rep-2"]
        )
        assert refused.status_code == 403
    by_finance = await client.post(
        _lines(statements.rep_2, 1), json={"message": "x"}, headers=auth["finance"]
    )
    assert by_finance.status_code == 403
