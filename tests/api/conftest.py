"""An API client on the test database, tokens for each role, and a small world on a
10% flat plan whose every amount can be checked by hand."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.auth import principals
from incentives.db.connection import driver_transaction
from incentives.games import contests
from incentives.ingest.service import ingest
from incentives.periods.store import generate
from tests.http import api_client

Client = httpx.AsyncClient


@pytest.fixture
async def client(db: AsyncEngine) -> AsyncIterator[Client]:
    """A client talking to the app in-process."""
    async with api_client(db) as c:
        yield c


@pytest.fixture
async def schema(client: Client) -> dict[str, Any]:
    """The app's OpenAPI document, as /schema serves it."""
    answer = await client.get("/schema/openapi.json")
    assert answer.status_code == 200
    return dict(answer.json())


@pytest.fixture
async def auth(db: AsyncEngine) -> dict[str, dict[str, str]]:
    """Authorization headers per role; the rep and the manager are participants."""
    async with driver_transaction(db) as conn:
        await ingest(
            conn,
            "participants",
            [
                {"external_id": "rep-1", "name": "Rita Rep", "currency": "USD"},
                {"external_id": "mgr-1", "name": "Max Manager", "currency": "USD"},
            ],
            CLI_ACTOR,
        )
        headers: dict[str, dict[str, str]] = {}
        for role, who in [
            ("rep", "rep-1"),
            ("manager", "mgr-1"),
            ("finance", None),
            ("admin", None),
            ("integration", None),
        ]:
            _, token = await principals.create(
                conn, name=f"test {role}", role=role, participant=who, actor=CLI_ACTOR
            )
            headers[role] = {"Authorization": f"Bearer {token}"}
    return headers


FLAT = """
kind: commission
key: flat
version: 1
name: Flat ten percent
effective: {from: 2026-01-01, to: 2026-12-31}
payout_currency: USD
period: quarter
fiscal_year_starts: 1
crediting: {rollup_levels: 1}
measures:
  - {key: bookings, name: Bookings, source: deals, aggregate: sum, quota: true}
components:
  - {key: commission, name: Commission, type: rate, measure: bookings, rate: 10%}
"""

Headers = dict[str, dict[str, str]]


async def post_deal(
    client: Client,
    headers: dict[str, str],
    key: str,
    owner: str,
    amount: str,
    day: str,
    **more: str,
) -> dict[str, Any]:
    """Ingest one won USD deal through the API, as an integration does (it must be taken);
    what the ingest answered."""
    deal = {
        "external_id": key,
        "owner": owner,
        "amount": amount,
        "currency": "USD",
        "close_date": day,
        "status": "won",
        **more,
    }
    pushed = await client.post("/api/v1/ingest/deals", json={"items": [deal]}, headers=headers)
    assert pushed.status_code == 200, pushed.text
    return dict(pushed.json())


async def _feed(db: AsyncEngine, items: dict[str, list[dict[str, Any]]]) -> None:
    async with driver_transaction(db) as conn:
        for kind, batch in items.items():
            await ingest(conn, kind, batch, CLI_ACTOR)


@pytest.fixture
async def world(db: AsyncEngine, client: Client, auth: Headers) -> Headers:
    """rep-1 and rep-2 under mgr-1; rep-3 under mgr-2; all on the flat plan."""
    async with driver_transaction(db) as conn:
        await generate(conn, 2026, 1, CLI_ACTOR)
    people = [
        {"external_id": p, "name": p.upper(), "currency": "USD", "start_date": "2025-01-01"}
        for p in ("rep-2", "rep-3", "mgr-2")
    ]
    lines = [
        {"participant": "rep-1", "manager": "mgr-1", "team": "east", "valid_from": "2025-01-01"},
        {"participant": "rep-2", "manager": "mgr-1", "team": "east", "valid_from": "2025-01-01"},
        {"participant": "rep-3", "manager": "mgr-2", "team": "west", "valid_from": "2025-01-01"},
    ]
    on_plan = [
        {"plan": "flat", "participant": p, "valid_from": "2026-01-01", "currency": "USD"}
        for p in ("rep-1", "rep-2", "rep-3")
    ]
    quotas = [
        {"participant": "rep-1", "period": "2026-Q1", "measure": "bookings", "amount": "100000"}
    ]
    deals: list[dict[str, Any]] = [
        {
            "external_id": "D-1",
            "owner": "rep-1",
            "amount": "12345.67",
            "currency": "USD",
            "close_date": "2026-02-10",
            "status": "won",
        },
        {
            "external_id": "D-2",
            "owner": "rep-1",
            "amount": "1000",
            "currency": "USD",
            "close_date": "2026-03-31",
            "status": "won",
            "splits": [
                {"participant": "rep-1", "percent": 50},
                {"participant": "rep-2", "percent": 50},
            ],
        },
        {
            "external_id": "D-3",
            "owner": "rep-3",
            "amount": "999.99",
            "currency": "USD",
            "close_date": "2026-01-05",
            "status": "won",
        },
        {
            "external_id": "D-4",
            "owner": "rep-1",
            "amount": "50000",
            "currency": "USD",
            "close_date": "2026-02-11",
            "status": "lost",
        },
    ]
    await _feed(
        db,
        {
            "participants": people,
            "assignments": lines,
            "plan_assignments": on_plan,
            "quotas": quotas,
            "deals": deals,
        },
    )
    published = await client.post("/api/v1/plans", json={"source": FLAT}, headers=auth["finance"])
    assert published.status_code == 201, published.text
    run = await client.post(
        "/api/v1/calc-runs", json={"period": "2026-Q1"}, headers=auth["finance"]
    )
    assert run.status_code == 201, run.text
    assert run.json()["status"] == "succeeded"
    return auth


# Who a contest of mgr-1's may cover: their reporting line (rep-3 is mgr-2's).
IN_LINE = {"participants": ["rep-1", "rep-2"]}


def race(key: str, name: str, **extra: Any) -> dict[str, Any]:
    """A contest over 2026 among rep-1, rep-2 and rep-3 on the amounts of their won deals
    (only finance and admin may make it; ``participants=IN_LINE`` for mgr-1's own)."""
    return {
        "key": key,
        "name": name,
        "window": {"from": "2026-01-01", "to": "2026-12-31"},
        "currency": "USD",
        "participants": {"participants": ["rep-1", "rep-2", "rep-3"]},
        "score": {"type": "total", "source": "deals", "aggregate": "sum"},
        **extra,
    }


async def make_live(
    client: Client, db: AsyncEngine, headers: dict[str, str], *definitions: dict[str, Any]
) -> None:
    """Create and schedule each contest as ``headers``' user, then take them live as the
    scheduler would on 1 March 2026."""
    for definition in definitions:
        created = await client.post("/api/v1/contests", json=definition, headers=headers)
        assert created.status_code == 201, created.text
        key = definition["key"]
        scheduled = await client.post(f"/api/v1/contests/{key}/schedule", headers=headers)
        assert scheduled.status_code == 200, scheduled.text
    await contests.advance(db, dt.date(2026, 3, 1), CLI_ACTOR)


def app_routes(app: Litestar) -> list[tuple[str, str]]:
    """Every (method, path) the app routes, outside the docs, path parameters filled with
    values of their type so that the router matches."""
    found = []
    for route in app.routes:
        for method in getattr(route, "methods", set()):
            if method in {"HEAD", "OPTIONS"} or route.path.startswith("/schema"):
                continue
            path = re.sub(r"\{\w+:int\}", "1", route.path)
            found.append((method, re.sub(r"\{\w+:str\}", "deals", path)))
    return sorted(found)


@pytest.fixture
async def screen(db: AsyncEngine, world: Headers) -> dict[str, str]:
    """Authorization headers of an office display, on the test world."""
    async with driver_transaction(db) as conn:
        _, token = await principals.create(
            conn, name="Office TV", role="display", participant=None, actor=CLI_ACTOR
        )
    return {"Authorization": f"Bearer {token}"}
