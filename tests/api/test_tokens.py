"""Tokens that expire and are revoked: issued, listed and revoked by an admin only, never
listed with their secrets, refused (401, saying why) from the next request on."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api.security import RecentTokens
from tests.api.conftest import Client, Headers


async def _me(client: Client, token: str) -> Any:
    return await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


async def _user_id(client: Client, auth: Headers, role: str) -> int:
    """The id of the test user of ``role``, read from the audit trail of its creation."""
    entries = await client.get(
        "/api/v1/audit", params={"entity": "principal", "action": "create"}, headers=auth["admin"]
    )
    made = entries.json()["entries"]
    return next(int(e["entity_key"]) for e in made if e["after"]["role"] == role)


async def test_an_admin_issues_lists_and_revokes_a_token(client: Client, auth: Headers) -> None:
    rep = await _user_id(client, auth, "rep")
    made = await client.post(
        f"/api/v1/users/{rep}/tokens",
        json={"label": "phone", "expires_in": "90d"},
        headers=auth["admin"],
    )
    assert made.status_code == 201, made.text
    issued = made.json()
    secret = issued["token"]
    assert secret.startswith(issued["prefix"]) and issued["status"] == "active"
    expires = dt.datetime.fromisoformat(issued["expires_at"])
    assert abs(expires - dt.datetime.now(dt.UTC) - dt.timedelta(days=90)) < dt.timedelta(minutes=1)
    me = await _me(client, secret)
    assert me.json()["participant"] == "rep-1"

    listed = await client.get(f"/api/v1/users/{rep}/tokens", headers=auth["admin"])
    assert listed.status_code == 200
    shown = [(t["label"], t["status"]) for t in listed.json()]
    assert shown == [(None, "active"), ("phone", "active")]
    assert secret not in listed.text and all("token" not in t for t in listed.json())

    revoked = await client.post(f"/api/v1/tokens/{issued['id']}/revoke", headers=auth["admin"])
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked" and revoked.json()["revoked_at"]
    # The next request is refused, though the token was accepted (and kept) moments ago.
    refused = await _me(client, secret)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["title"] == "The bearer token has been revoked"
    # The user's other token still works; revoking again changes nothing.
    assert (await client.get("/api/v1/me", headers=auth["rep"])).status_code == 200
    again = await client.post(f"/api/v1/tokens/{issued['id']}/revoke", headers=auth["admin"])
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    about_rep = {"entity": "principal", "entity_key": str(rep)}
    trail = await client.get("/api/v1/audit", params=about_rep, headers=auth["admin"])
    actions = [e["action"] for e in trail.json()["entries"]]
    assert actions == ["revoke_tokens", "issue_token", "create"]
    assert secret not in trail.text


async def test_an_expired_token_is_refused_saying_so(
    db: AsyncEngine, client: Client, auth: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    finance = await _user_id(client, auth, "finance")
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    made = await client.post(
        f"/api/v1/users/{finance}/tokens", json={"expires_at": soon}, headers=auth["admin"]
    )
    assert made.status_code == 201, made.text
    assert made.json()["expires_at"] == soon
    secret = made.json()["token"]
    assert (await _me(client, secret)).status_code == 200
    # An hour later the kept entry is refused too: its expiry is read against the clock.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1, seconds=1)
    monkeypatch.setattr(RecentTokens, "wall", staticmethod(lambda: later))
    expired = await _me(client, secret)
    assert expired.status_code == 401
    assert expired.json()["title"] == "The bearer token has expired"
    assert (await client.get("/api/v1/me", headers=auth["finance"])).status_code == 200
    monkeypatch.undo()
    # One that expired in the database is listed as such.
    async with db.begin() as conn:
        await conn.execute(
            text("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = :id"),
            {"id": made.json()["id"]},
        )
    listed = await client.get(f"/api/v1/users/{finance}/tokens", headers=auth["admin"])
    assert [t["status"] for t in listed.json()] == ["active", "expired"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
        ({"expires_at": "2999-01-01T00:00:00"}, "expires_at"),
        ({"expires_in": "90d", "expires_at": "2999-01-01T00:00:00Z"}, "expires_at"),
        ({"expires_in": "soon"}, "expires_in"),
        ({"secret": "mine"}, "secret"),
    ],
)
async def test_a_bad_expiry_is_refused_naming_the_field_and_issues_nothing(
    client: Client, auth: Headers, body: dict[str, str], field: str
) -> None:
    rep = await _user_id(client, auth, "rep")
    refused = await client.post(f"/api/v1/users/{rep}/tokens", json=body, headers=auth["admin"])
    assert refused.status_code in (400, 422), refused.text
    errors = refused.json()["errors"]
    assert any(field in e["field"] + e["message"] for e in errors), errors
    listed = await client.get(f"/api/v1/users/{rep}/tokens", headers=auth["admin"])
    assert len(listed.json()) == 1


async def test_only_an_admin_manages_tokens(client: Client, auth: Headers) -> None:
    rep = await _user_id(client, auth, "rep")
    listed = (await client.get(f"/api/v1/users/{rep}/tokens", headers=auth["admin"])).json()
    token_id = listed[0]["id"]
    calls: list[tuple[str, str, dict[str, str] | None]] = [
        ("GET", f"/api/v1/users/{rep}/tokens", None),
        ("POST", f"/api/v1/users/{rep}/tokens", {}),
        ("POST", f"/api/v1/tokens/{token_id}/revoke", None),
    ]
    for role in ("rep", "manager", "finance", "integration"):
        for method, path, body in calls:
            answer = await client.request(method, path, json=body, headers=auth[role])
            assert answer.status_code == 403, (role, method, path)
    # Nothing was issued or revoked by them.
    after = (await client.get(f"/api/v1/users/{rep}/tokens", headers=auth["admin"])).json()
    assert after == listed
    missing = await client.get("/api/v1/users/999999/tokens", headers=auth["admin"])
    assert missing.status_code == 404
    gone = await client.post("/api/v1/tokens/999999/revoke", headers=auth["admin"])
    assert gone.status_code == 404
