"""Every endpoint needs a token unless it is explicitly public; roles are enforced."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api.app import create_app
from incentives.api.security import RecentTokens
from incentives.auth.principals import Grant, Principal
from incentives.auth.tokens import Refusal
from tests.api.conftest import Client, app_routes

# The web page's files hold no data: the page signs in with a token like any client.
PUBLIC = {"/health", "/schema", "/", "/app", "/app/{file_path:path}"}


async def test_health_and_docs_are_public(client: Client) -> None:
    health = await client.get("/health")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "database": "ok"}
    schema = await client.get("/schema/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/ingest/deals" in schema.json()["paths"]


async def test_the_web_page_is_public_and_locked_to_this_origin(client: Client) -> None:
    home = await client.get("/")
    assert home.status_code in {301, 302, 307, 308}
    assert home.headers["location"] == "/app/"
    page = await client.get("/app/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="js/main.js">' in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy
    assert "unsafe-inline" not in policy
    script = await client.get("/app/js/main.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert (await client.get("/app/js/nothing.js")).status_code == 404
    # Files outside the page's folder stay out of reach.
    assert (await client.get("/app/%2E%2E/pages.py")).status_code == 404
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_every_other_endpoint_answers_401_without_a_token(
    db: AsyncEngine, client: Client
) -> None:
    routes = app_routes(create_app(db))
    assert ("POST", "/api/v1/ingest/deals") in routes
    for method, path in routes:
        if path in PUBLIC:
            continue
        for headers in ({}, {"Authorization": "Bearer inc_not-a-real-token"}):
            response = await client.request(method, path, headers=headers)
            assert response.status_code == 401, (method, path, headers)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("role", ["rep", "manager", "finance"])
async def test_ingest_needs_admin_or_integration(
    client: Client, auth: dict[str, dict[str, str]], role: str
) -> None:
    body = {"items": [{"external_id": "p-9", "name": "New", "currency": "USD"}]}
    refused = await client.post("/api/v1/ingest/participants", json=body, headers=auth[role])
    assert refused.status_code == 403
    assert refused.json()["title"].startswith("This needs the role admin or integration")
    allowed = await client.post(
        "/api/v1/ingest/participants", json=body, headers=auth["integration"]
    )
    assert allowed.status_code == 200


async def test_period_generation_needs_finance_or_admin(
    client: Client, auth: dict[str, dict[str, str]]
) -> None:
    body = {"fiscal_year": 2026, "first_month": 2}
    rep = await client.post("/api/v1/periods/generate", json=body, headers=auth["rep"])
    assert rep.status_code == 403
    made = await client.post("/api/v1/periods/generate", json=body, headers=auth["finance"])
    assert made.json() == {"fiscal_year": 2026, "first_month": 2, "created": 17, "existing": 0}
    again = await client.post("/api/v1/periods/generate", json=body, headers=auth["finance"])
    assert again.json()["existing"] == 17
    listed = await client.get("/api/v1/periods?fiscal_year=2026", headers=auth["rep"])
    labels = [p["label"] for p in listed.json()]
    assert labels[:3] == ["2026", "2026-Q1", "2026-02"]
    # Period dates are inclusive at both ends.
    q1 = next(p for p in listed.json() if p["label"] == "2026-Q1")
    assert (q1["start_date"], q1["end_date"], q1["status"]) == ("2026-02-01", "2026-04-30", "open")
    assert "2027-01" in labels and "2026-01" not in labels


async def test_me_names_the_caller(client: Client, auth: dict[str, dict[str, str]]) -> None:
    me = await client.get("/api/v1/me", headers=auth["rep"])
    assert me.json() == {"name": "test rep", "role": "rep", "participant": "rep-1"}


async def test_a_revoked_token_stops_working_once_its_cache_entry_expires(
    db: AsyncEngine,
    client: Client,
    auth: dict[str, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert (await client.get("/api/v1/me", headers=auth["rep"])).status_code == 200
    async with db.begin() as conn:
        await conn.execute(text("UPDATE api_tokens SET revoked_at = now()"))
    # Within the cache's few seconds the token still works; after them it does not.
    assert (await client.get("/api/v1/me", headers=auth["rep"])).status_code == 200
    assert (await client.get("/api/v1/me", headers=auth["finance"])).status_code == 401
    later = RecentTokens.clock() + RecentTokens.TTL + 1
    monkeypatch.setattr(RecentTokens, "clock", staticmethod(lambda: later))
    assert (await client.get("/api/v1/me", headers=auth["rep"])).status_code == 401


async def test_tokens_in_use_are_renewed_together_in_the_background_and_revocation_lands(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    valid = {"a", "b", "c"}
    asked: list[list[str]] = []
    someone = cast(Principal, object())

    async def lookup(tokens: list[str]) -> dict[str, Grant]:
        asked.append(tokens)
        return {
            token: Grant(token_id=1, principal=someone, expires_at=None, revoked=False)
            for token in tokens
            if token in valid
        }

    async def background() -> None:
        for _ in range(20):
            await asyncio.sleep(0)

    now = [1000.0]
    monkeypatch.setattr(RecentTokens, "clock", staticmethod(lambda: now[0]))
    monkeypatch.setattr(RecentTokens, "GATHER", 0)
    recent = RecentTokens(lookup)
    for token in "abc":
        assert await recent.check(token) is someone
    assert asked == [["a"], ["b"], ["c"]]
    # Early in their entries, uses ask nothing.
    now[0] += 1.0
    assert recent.get("a") is someone and len(asked) == 3
    # Near the end, uses are served at once, and the tokens are renewed in the background
    # by one lookup for all of them.
    now[0] += RecentTokens.TTL - RecentTokens.RENEW - 1.0 + 0.1
    renewed_at = now[0]
    assert [recent.get(token) for token in "abc"] == [someone] * 3
    await background()
    assert asked[3:] == [["a", "b", "c"]]
    now[0] += RecentTokens.TTL * 0.5
    assert recent.get("a") is someone and len(asked) == 4
    # A revocation found by a renewal drops the token at once.
    valid.discard("b")
    now[0] = renewed_at + RecentTokens.TTL - RecentTokens.RENEW + 0.1
    assert recent.get("b") is someone
    await background()
    assert asked[4:] == [["b"]]
    assert recent.get("b") is None
    assert await recent.check("b") is Refusal.UNKNOWN


async def test_a_lookup_answered_after_a_revocation_was_announced_keeps_it_revoked() -> None:
    someone = cast(Principal, object())
    asked = asyncio.Event()
    answer = asyncio.Event()

    async def lookup(tokens: list[str]) -> dict[str, Grant]:
        # Read before the revocation committed: the token still looks good.
        asked.set()
        await answer.wait()
        return {"a": Grant(token_id=7, principal=someone, expires_at=None, revoked=False)}

    recent = RecentTokens(lookup)
    checking = asyncio.create_task(recent.check("a"))
    await asyncio.wait_for(asked.wait(), 1)
    recent.forget({7})  # the announcement arrives while the lookup is under way
    answer.set()
    assert await checking is Refusal.REVOKED
    assert recent.get("a") is None
