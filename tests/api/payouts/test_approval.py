"""Payout approval: draft → submitted → approved, rejection, four eyes, optimistic locking."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.conftest import Client
from tests.api.payouts.conftest import Statements
from tests.http import api_client


def _url(statement: int, action: str) -> str:
    return f"/api/v1/statements/{statement}/{action}"


async def _audit(db: AsyncEngine, statement: int) -> list[tuple[Any, ...]]:
    async with db.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT action, actor, before, after FROM audit_log"
                " WHERE entity = 'statement' AND entity_key = :key ORDER BY id"
            ),
            {"key": str(statement)},
        )
        return [tuple(r) for r in rows]


async def test_the_submitter_cannot_approve_someone_else_must(
    db: AsyncEngine, client: Client, statements: Statements
) -> None:
    auth, sid = statements.auth, statements.rep_1
    submitted = await client.post(_url(sid, "submit"), headers=auth["finance"])
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    assert (body["status"], body["version"], body["submitted_by"]) == (
        "submitted",
        2,
        "test finance",
    )
    assert (body["total"], body["currency"]) == ("1634.32", "USD")

    own = await client.post(_url(sid, "approve"), headers=auth["finance"])
    assert own.status_code == 403
    assert "someone else must approve it" in own.json()["title"]

    approved = await client.post(_url(sid, "approve"), headers=auth["finance-2"])
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert (body["status"], body["version"]) == ("approved", 3)
    assert (body["submitted_by"], body["approved_by"]) == ("test finance", "second finance")
    assert body["approved_at"] is not None

    v1, v2, v3 = (
        {"status": "draft", "version": 1},
        {"status": "submitted", "version": 2},
        {"status": "approved", "version": 3},
    )
    assert await _audit(db, sid) == [
        ("submit", "test finance", v1, v2),
        ("approve", "second finance", v2, v3),
    ]
    again = await client.post(_url(sid, "approve"), headers=auth["admin"])
    assert again.status_code == 409
    assert (
        f"statement {sid} is approved; it must be submitted to be approved" in again.json()["title"]
    )


async def test_the_four_eyes_rule_can_be_switched_off(
    db: AsyncEngine, statements: Statements, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INCENTIVES_FOUR_EYES", "off")
    finance = statements.auth["finance"]
    async with api_client(db) as client:
        assert (await client.post(_url(statements.rep_1, "submit"), headers=finance)).is_success
        approved = await client.post(_url(statements.rep_1, "approve"), headers=finance)
    assert approved.status_code == 200, approved.text
    assert approved.json()["approved_by"] == approved.json()["submitted_by"] == "test finance"


async def test_rejection_sends_back_to_draft_with_the_reason(
    client: Client, statements: Statements
) -> None:
    auth, sid = statements.auth, statements.rep_1
    await client.post(_url(sid, "submit"), headers=auth["finance"])
    no_reason = await client.post(_url(sid, "reject"), json={"reason": "  "}, headers=auth["admin"])
    assert no_reason.status_code == 400
    assert no_reason.json()["errors"][0]["field"] == "reason"

    rejected = await client.post(
        _url(sid, "reject"), json={"reason": "SPIFF not in the plan"}, headers=auth["admin"]
    )
    assert rejected.status_code == 200, rejected.text
    body = rejected.json()
    assert (body["status"], body["rejected_reason"], body["submitted_by"]) == (
        "draft",
        "SPIFF not in the plan",
        None,
    )
    cannot = await client.post(_url(sid, "approve"), headers=auth["admin"])
    assert cannot.status_code == 409
    resubmitted = await client.post(_url(sid, "submit"), headers=auth["finance"])
    assert resubmitted.json()["status"] == "submitted"
    assert resubmitted.json()["rejected_reason"] is None


async def test_concurrent_approvals_exactly_one_wins(
    db: AsyncEngine, client: Client, statements: Statements
) -> None:
    auth, sid = statements.auth, statements.rep_1
    await client.post(_url(sid, "submit"), headers=auth["finance"])
    # Both approvers read version 2 and approve at once.
    answers = await asyncio.gather(
        client.post(_url(sid, "approve"), json={"version": 2}, headers=auth["admin"]),
        client.post(_url(sid, "approve"), json={"version": 2}, headers=auth["finance-2"]),
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    winner = next(a for a in answers if a.status_code == 200).json()
    async with db.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT s.status, s.version, p.name FROM statements s"
                    " JOIN principals p ON p.id = s.approved_by_id WHERE s.id = :id"
                ),
                {"id": sid},
            )
        ).one()
    assert tuple(row) == ("approved", 3, winner["approved_by"])
    approvals = [a for a in await _audit(db, sid) if a[0] == "approve"]
    assert len(approvals) == 1 and approvals[0][1] == winner["approved_by"]


async def test_a_stale_version_is_refused_and_changes_nothing(
    client: Client, statements: Statements
) -> None:
    auth, sid = statements.auth, statements.rep_1
    await client.post(_url(sid, "submit"), headers=auth["finance"])
    stale = await client.post(_url(sid, "approve"), json={"version": 1}, headers=auth["admin"])
    assert stale.status_code == 409
    assert "changed since you read it" in stale.json()["title"]
    fresh = await client.post(_url(sid, "approve"), json={"version": 2}, headers=auth["admin"])
    assert fresh.status_code == 200


async def test_bulk_approval_of_a_period_skips_what_the_approver_submitted(
    db: AsyncEngine, client: Client, statements: Statements
) -> None:
    auth = statements.auth
    async with db.begin() as conn:
        # A third statement, as the close would have made it: the database refuses a new
        # statement in a closed period, so its triggers are set aside for this set-up.
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(
            text(
                "INSERT INTO statements (participant_id, period, currency, total_minor)"
                " SELECT id, '2026-Q1', 'EUR', 5000 FROM participants WHERE external_id = 'rep-1'"
            )
        )
    submitted = await client.post(
        "/api/v1/periods/2026-Q1/statements/submit", headers=auth["finance"]
    )
    assert submitted.status_code == 200, submitted.text
    assert (submitted.json()["done"], submitted.json()["skipped"]) == (3, 0)
    rejected = await client.post(
        _url(statements.rep_2, "reject"), json={"reason": "check"}, headers=auth["admin"]
    )
    assert rejected.status_code == 200
    await client.post(_url(statements.rep_2, "submit"), headers=auth["admin"])

    bulk = await client.post("/api/v1/periods/2026-Q1/statements/approve", headers=auth["finance"])
    assert bulk.status_code == 200, bulk.text
    body = bulk.json()
    assert (body["period"], body["action"], body["done"], body["skipped"]) == (
        "2026-Q1",
        "approve",
        1,
        2,
    )
    outcomes = {(s["statement"], s["outcome"]) for s in body["statements"]}
    assert (statements.rep_2, "approved") in outcomes
    assert (statements.rep_1, "skipped") in outcomes
    assert all(
        "someone else must approve it" in s["reason"]
        for s in body["statements"]
        if s["outcome"] == "skipped"
    )
    rest = await client.post("/api/v1/periods/2026-Q1/statements/approve", headers=auth["admin"])
    assert (rest.json()["done"], rest.json()["others"]) == (2, {"approved": 1})
    missing = await client.post("/api/v1/periods/2031-Q1/statements/approve", headers=auth["admin"])
    assert missing.status_code == 404


async def test_a_rep_can_neither_submit_nor_approve_nor_export(
    db: AsyncEngine, client: Client, statements: Statements
) -> None:
    auth, sid = statements.auth, statements.rep_1
    await client.post(_url(sid, "submit"), headers=auth["finance"])
    for headers in (auth["rep"], auth["manager"], auth["integration"]):
        for response in (
            await client.post(_url(sid, "approve"), headers=headers),
            await client.post(_url(sid, "submit"), headers=headers),
            await client.post(_url(sid, "reject"), json={"reason": "x"}, headers=headers),
            await client.post("/api/v1/periods/2026-Q1/statements/approve", headers=headers),
            await client.post("/api/v1/payouts/export?period=2026-Q1", headers=headers),
            await client.post(
                "/api/v1/payouts/mark-paid", json={"period": "2026-Q1"}, headers=headers
            ),
        ):
            assert response.status_code == 403, response.text
    async with db.connect() as conn:
        status = await conn.scalar(
            text("SELECT status FROM statements WHERE id = :id"), {"id": sid}
        )
    assert status == "submitted"
    assert (await client.post(_url(sid, "approve"))).status_code == 401
