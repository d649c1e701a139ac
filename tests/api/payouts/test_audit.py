"""The audit endpoint: every workflow change with actor, time, before and after; filters."""

from __future__ import annotations

import datetime as dt

from tests.api.conftest import FLAT, Client
from tests.api.payouts.conftest import Statements


async def test_finance_reads_the_trail_of_a_statement_filtered_and_paged(
    client: Client, statements: Statements
) -> None:
    auth, sid = statements.auth, statements.rep_1
    # Answers give moments to the second.
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    await client.post(f"/api/v1/statements/{sid}/submit", headers=auth["finance"])
    await client.post(f"/api/v1/statements/{sid}/approve", headers=auth["admin"])
    await client.post("/api/v1/plans", json={"source": FLAT}, headers=auth["finance"])

    trail = await client.get(
        f"/api/v1/audit?entity=statement&entity_key={sid}", headers=auth["finance"]
    )
    assert trail.status_code == 200, trail.text
    entries = trail.json()["entries"]
    assert [(e["action"], e["actor"], e["channel"]) for e in entries] == [
        ("approve", "test admin", "api"),
        ("submit", "test finance", "api"),
    ]
    assert entries[0]["before"] == {"status": "submitted", "version": 2}
    assert entries[0]["after"] == {"status": "approved", "version": 3}
    assert all(dt.datetime.fromisoformat(e["at"]) >= started for e in entries)
    assert trail.json()["next_before_id"] is None

    by_actor = await client.get(
        "/api/v1/audit?actor=test admin&action=approve", headers=auth["admin"]
    )
    assert [(e["entity"], e["entity_key"]) for e in by_actor.json()["entries"]] == [
        ("statement", str(sid))
    ]
    plans = await client.get("/api/v1/audit?entity=plan", headers=auth["finance"])
    assert [(e["action"], e["entity_key"]) for e in plans.json()["entries"]] == [
        ("publish", "flat@1")
    ]

    first = await client.get("/api/v1/audit?entity=statement&limit=1", headers=auth["finance"])
    cursor = first.json()["next_before_id"]
    assert [e["action"] for e in first.json()["entries"]] == ["approve"] and cursor is not None
    rest = await client.get(
        f"/api/v1/audit?entity=statement&limit=1&before_id={cursor}", headers=auth["finance"]
    )
    assert [e["action"] for e in rest.json()["entries"]] == ["submit"]
    assert rest.json()["next_before_id"] is None

    later = (started + dt.timedelta(hours=1)).isoformat()
    future = await client.get(
        "/api/v1/audit", params={"since": later, "entity": "statement"}, headers=auth["finance"]
    )
    assert future.json()["entries"] == []
    before = await client.get(
        "/api/v1/audit", params={"until": later, "entity": "statement"}, headers=auth["finance"]
    )
    assert len(before.json()["entries"]) == 2
    naive = await client.get(
        "/api/v1/audit", params={"since": "2026-01-01T00:00:00"}, headers=auth["finance"]
    )
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["field"] == "since"


async def test_only_finance_and_admin_read_the_audit_log(
    client: Client, statements: Statements
) -> None:
    for role in ("rep", "manager", "integration"):
        response = await client.get("/api/v1/audit", headers=statements.auth[role])
        assert response.status_code == 403
    assert (await client.get("/api/v1/audit")).status_code == 401
