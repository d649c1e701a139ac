"""A deal ingested during a contest moves the board on a live stream within a second."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api.loopback import loopback
from tests.api.conftest import post_deal
from tests.api.test_games import BLITZ, Headers, on_march_20, tokens  # noqa: F401 - fixtures
from tests.games.conftest import floor  # noqa: F401 - the fixture


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
        body = {**BLITZ, "prizes": []}
        assert (await client.post("/api/v1/contests", json=body, headers=tokens["max"])).is_success
        scheduled = await client.post("/api/v1/contests/blitz/schedule", headers=tokens["max"])
        assert scheduled.json()["status"] == "live"
        url = "/api/v1/contests/blitz/leaderboard/stream"
        async with (
            client.stream("GET", url, headers=tokens["cy"]) as response,
            client.stream("GET", url, headers=tokens["ana"]) as hers,
        ):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
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
