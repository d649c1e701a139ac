"""A deal ingested during a contest moves the board on a live stream within a second; a
stream ends within seconds of its token's revocation or expiry."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api.loopback import loopback
from incentives.audit.log import CLI_ACTOR
from incentives.auth import token_store
from incentives.auth.principals import by_tokens
from incentives.db.connection import driver_transaction
from tests.api.conftest import post_deal
from tests.api.test_games import BLITZ, Headers, on_march_20, tokens  # noqa: F401 - fixtures
from tests.games.conftest import floor  # noqa: F401 - the fixture

STREAM = "/api/v1/contests/blitz/leaderboard/stream"
# How soon after its token stops working a stream must end.
ENDS_WITHIN = 5.0


async def events(response: httpx.Response) -> AsyncIterator[tuple[str, Any]]:
    """Server-Sent Events as (event, decoded data); comments are skipped."""
    name, data = "message", ""
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            data += line[len("data: ") :]
        elif line == "" and data:
            yield name, json.loads(data)
            name, data = "message", ""


@pytest.mark.usefixtures("on_march_20")
async def test_a_deal_moves_the_board_on_the_stream(
    db: AsyncEngine,
    tokens: Headers,  # noqa: F811 - the fixture
) -> None:
    async with (
        loopback(db) as base,
        httpx.AsyncClient(base_url=base, timeout=10) as client,
    ):
        await _blitz_live(client, tokens)
        async with (
            client.stream("GET", STREAM, headers=tokens["cy"]) as response,
            client.stream("GET", STREAM, headers=tokens["ana"]) as hers,
        ):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            # No proxy or browser keeps what it shows.
            assert response.headers["cache-control"] == "no-store"
            stream = events(response)
            anas = events(hers)
            assert (await anext(anas))[0] == "leaderboard"
            name, first = await anext(stream)
            assert name == "leaderboard"
            assert [(r["rank"], r["subject"]) for r in first["rows"]] == [
                (1, "ana"),
                (2, "bo"),
                (3, "cy"),
            ]
            board = "/api/v1/contests/blitz/leaderboard"
            before = (await client.get(board, headers=tokens["cy"])).json()
            assert before["me"]["rank"] == 3  # the page is now kept, encoded, for cy
            await post_deal(
                client, tokens["integration"], "D-9", "cy", "1200", "2026-03-20", product="Platform"
            )
            committed = time.monotonic()
            name, moved = await asyncio.wait_for(anext(stream), timeout=1.0)
            assert time.monotonic() - committed < 1.0
            assert name == "standings"
            assert [(r["rank"], r["subject"], r["score"]) for r in moved["changes"]] == [
                (1, "cy", "2700.00")
            ]
            assert [r["subject"] for r in moved["top"]] == ["cy", "ana", "bo"]
            assert moved["me"]["rank"] == 1 and moved["me"]["movement"] == 2
            # ana sees cy climb, but neither cy's score nor what cy gained: that is cy's pay.
            name, seen = await asyncio.wait_for(anext(anas), timeout=1.0)
            assert name == "standings"
            assert seen["changes"] == [
                {"rank": 1, "subject": "cy", "name": "Cy", "movement": 2, "previous_rank": 3}
            ]
            # The kept page went with the change: a read shows the board as it is now.
            after = (await client.get(board, headers=tokens["cy"])).json()
            assert [r["subject"] for r in after["rows"]] == ["cy", "ana", "bo"]
            assert after["me"]["rank"] == 1


async def _blitz_live(client: httpx.AsyncClient, headers: Headers) -> None:
    body = {**BLITZ, "prizes": []}
    assert (await client.post("/api/v1/contests", json=body, headers=headers["max"])).is_success
    scheduled = await client.post("/api/v1/contests/blitz/schedule", headers=headers["max"])
    assert scheduled.json()["status"] == "live"


async def _ended(stream: AsyncIterator[tuple[str, Any]]) -> float:
    """When the stream ended (loop time), waiting at most twice ``ENDS_WITHIN``."""
    async with asyncio.timeout(2 * ENDS_WITHIN):
        async for _ in stream:
            pass
    return asyncio.get_running_loop().time()


@pytest.mark.usefixtures("on_march_20")
async def test_a_stream_ends_within_seconds_of_its_token_being_revoked(
    db: AsyncEngine,
    tokens: Headers,  # noqa: F811 - the fixture
) -> None:
    cy = tokens["cy"]["Authorization"].removeprefix("Bearer ")
    async with driver_transaction(db) as conn:
        token_id = (await by_tokens(conn, [cy]))[cy].token_id
    async with loopback(db) as base, httpx.AsyncClient(base_url=base, timeout=20) as client:
        await _blitz_live(client, tokens)
        async with client.stream("GET", STREAM, headers=tokens["cy"]) as response:
            stream = events(response)
            assert (await anext(stream))[0] == "leaderboard"
            # Revoked by another process (the command line), as an operator would.
            async with driver_transaction(db) as conn:
                await token_store.revoke(conn, CLI_ACTOR, token_id)
            revoked = asyncio.get_running_loop().time()
            assert await _ended(stream) - revoked < ENDS_WITHIN
        refused = await client.get(STREAM, headers=tokens["cy"])
        assert refused.status_code == 401


@pytest.mark.usefixtures("on_march_20")
async def test_a_stream_ends_within_seconds_of_its_token_expiring(
    db: AsyncEngine,
    tokens: Headers,  # noqa: F811 - the fixture
) -> None:
    cy = tokens["cy"]["Authorization"].removeprefix("Bearer ")
    lasts = 2.0
    async with driver_transaction(db) as conn:
        owner = (await by_tokens(conn, [cy]))[cy].principal.id
        until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=lasts)
        issued = await token_store.issue(conn, owner, CLI_ACTOR, expires_at=until)
    expires = asyncio.get_running_loop().time() + lasts
    headers = {"Authorization": f"Bearer {issued.token}"}
    async with loopback(db) as base, httpx.AsyncClient(base_url=base, timeout=20) as client:
        await _blitz_live(client, tokens)
        async with client.stream("GET", STREAM, headers=headers) as response:
            assert response.status_code == 200
            stream = events(response)
            assert (await anext(stream))[0] == "leaderboard"
            ended = await _ended(stream)
        assert 0 <= ended - expires < ENDS_WITHIN
        refused = await client.get(STREAM, headers=headers)
        assert refused.json()["title"] == "The bearer token has expired"
