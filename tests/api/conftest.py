"""An API client on the test database, and tokens for each role."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.auth import principals
from incentives.db.connection import driver_transaction
from incentives.ingest.service import ingest
from tests.http import api_client

Client = httpx.AsyncClient


@pytest.fixture
async def client(db: AsyncEngine) -> AsyncIterator[Client]:
    """A client talking to the app in-process."""
    async with api_client(db) as c:
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
