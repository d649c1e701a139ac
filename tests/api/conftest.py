"""An API client on the test database, and tokens for each role."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api.app import create_app
from incentives.audit.log import CLI_ACTOR
from incentives.auth import principals
from incentives.db.connection import driver_transaction
from incentives.ingest.service import ingest

Client = httpx.AsyncClient


@pytest.fixture
async def client(db: AsyncEngine) -> AsyncIterator[Client]:
    """A client talking to the app in-process, on the test's own event loop.

    (Litestar's test client runs the app on another loop, which the pooled asyncpg
    connections of the shared engine cannot follow.)
    """
    transport = httpx.ASGITransport(app=create_app(db))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


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
