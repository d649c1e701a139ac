"""Idempotency-Key: the same key replays the first response and never acts twice."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.config import load_settings
from incentives.scheduler import configured_jobs, utc_now
from tests.api.conftest import Client
from tests.api.payouts.conftest import Statements


async def _count(db: AsyncEngine, sql: str) -> int:
    async with db.connect() as conn:
        return int(await conn.scalar(text(sql)) or 0)


async def test_a_replayed_approval_returns_the_first_response_and_acts_once(
    db: AsyncEngine, client: Client, statements: Statements
) -> None:
    auth, sid = statements.auth, statements.rep_1
    await client.post(f"/api/v1/statements/{sid}/submit", headers=auth["finance"])
    url = f"/api/v1/statements/{sid}/approve"
    key = {"Idempotency-Key": "approve-rep-1-q1", **auth["admin"]}
    first = await client.post(url, json={"version": 2}, headers=key)
    assert first.status_code == 200, first.text
    assert "idempotent-replayed" not in first.headers
    replay = await client.post(url, json={"version": 2}, headers=key)
    assert replay.status_code == 200
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    assert replay.json()["version"] == 3
    # Without the key the same request acts, and is refused: it was approved once.
    assert (await client.post(url, json={"version": 2}, headers=auth["admin"])).status_code == 409
    assert await _count(db, f"SELECT version FROM statements WHERE id = {sid}") == 3
    assert await _count(db, "SELECT count(*) FROM audit_log WHERE action = 'approve'") == 1

    other = await client.post(f"/api/v1/statements/{statements.rep_2}/submit", json={}, headers=key)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    changed_body = await client.post(url, json={"version": 3}, headers=key)
    assert changed_body.status_code == 422


async def test_concurrent_duplicates_act_once(
    db: AsyncEngine, client: Client, statements: Statements
) -> None:
    auth = statements.auth
    for sid in (statements.rep_1, statements.rep_2):
        await client.post(f"/api/v1/statements/{sid}/submit", headers=auth["finance"])
        await client.post(f"/api/v1/statements/{sid}/approve", headers=auth["admin"])
    await client.post("/api/v1/payouts/export?period=2026-Q1", headers=auth["finance"])
    headers = {"Idempotency-Key": "payroll-2026-Q1", **auth["finance"]}
    answers = await asyncio.gather(
        *(
            client.post("/api/v1/payouts/mark-paid", json={"period": "2026-Q1"}, headers=headers)
            for _ in range(3)
        )
    )
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert all(a.json() == answers[0].json() for a in answers)
    assert answers[0].json()["amounts"] == {"USD": "2634.31"}
    assert sorted(answers[0].json()["paid"]) == sorted([statements.rep_1, statements.rep_2])
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 2
    assert await _count(db, "SELECT count(*) FROM audit_log WHERE action = 'pay'") == 2


async def test_a_failed_request_keeps_no_key_and_keys_belong_to_their_caller(
    db: AsyncEngine, client: Client, statements: Statements
) -> None:
    auth, sid = statements.auth, statements.rep_1
    url = f"/api/v1/statements/{sid}/approve"
    early = await client.post(url, headers={"Idempotency-Key": "k-1", **auth["admin"]})
    assert early.status_code == 409
    await client.post(f"/api/v1/statements/{sid}/submit", headers=auth["finance"])
    retried = await client.post(url, headers={"Idempotency-Key": "k-1", **auth["admin"]})
    assert retried.status_code == 200, retried.text
    assert "idempotent-replayed" not in retried.headers

    # The same key from another caller is theirs: it acts (and is refused on its merits).
    theirs = await client.post(url, headers={"Idempotency-Key": "k-1", **auth["finance-2"]})
    assert theirs.status_code == 409
    assert "idempotent-replayed" not in theirs.headers
    assert await _count(db, "SELECT count(*) FROM idempotency_keys") == 1

    too_long = await client.post(url, headers={"Idempotency-Key": "x" * 256, **auth["admin"]})
    assert too_long.status_code == 400
    assert too_long.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_resolving_a_dispute_twice_with_one_key_adds_one_adjustment(
    db: AsyncEngine, client: Client, statements: Statements
) -> None:
    auth = statements.auth
    opened = await client.post(
        f"/api/v1/statements/{statements.rep_1}/lines/1/disputes",
        json={"message": "Missing D-9"},
        headers={"Idempotency-Key": "ask-once", **auth["rep"]},
    )
    assert opened.status_code == 201
    replayed_open = await client.post(
        f"/api/v1/statements/{statements.rep_1}/lines/1/disputes",
        json={"message": "Missing D-9"},
        headers={"Idempotency-Key": "ask-once", **auth["rep"]},
    )
    assert (replayed_open.status_code, replayed_open.json()) == (201, opened.json())
    url = f"/api/v1/disputes/{opened.json()['id']}/resolve"
    body = {"outcome": "accepted", "adjustment": "99.95"}
    headers = {"Idempotency-Key": "resolve-once", **auth["finance"]}
    first, second = [await client.post(url, json=body, headers=headers) for _ in range(2)]
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert await _count(db, "SELECT count(*) FROM disputes") == 1
    assert await _count(db, "SELECT sum(amount_minor) FROM manual_adjustments") == 9995


async def test_a_key_expires_and_the_scheduler_purges_it(
    db: AsyncEngine, client: Client, statements: Statements
) -> None:
    auth = statements.auth
    key = {"Idempotency-Key": "submit-once", **auth["finance"]}
    first = await client.post(f"/api/v1/statements/{statements.rep_1}/submit", headers=key)
    assert first.status_code == 200, first.text
    # Within its lifetime the key is bound to that request...
    other = f"/api/v1/statements/{statements.rep_2}/submit"
    assert (await client.post(other, headers=key)).status_code == 422
    # ...and once it has outlived 24 hours it is forgotten: the same key acts anew.
    async with db.begin() as conn:
        await conn.execute(
            text("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'")
        )
    again = await client.post(other, headers=key)
    assert again.status_code == 200, again.text
    assert "idempotent-replayed" not in again.headers

    async with db.begin() as conn:
        await conn.execute(
            text(
                "UPDATE idempotency_keys SET created_at = now() - interval '25 hours'"
                " WHERE path LIKE '%/submit'"
            )
        )
    young = {"Idempotency-Key": "approve-young", **auth["admin"]}
    approve = f"/api/v1/statements/{statements.rep_1}/approve"
    assert (await client.post(approve, json={"version": 2}, headers=young)).status_code == 200
    jobs = {job.name: job for job in configured_jobs(load_settings({}))}
    done = await jobs["purge-idempotency-keys"].work(db, utc_now)
    assert done["purged"] == 1
    assert (
        await _count(db, "SELECT count(*) FROM idempotency_keys WHERE key = 'approve-young'") == 1
    )
    assert await _count(db, "SELECT count(*) FROM idempotency_keys") == 1
