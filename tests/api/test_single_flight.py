"""A cold process under a burst asks the database once per missing thing, not once per
request."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from incentives.auth import principals
from incentives.single_flight import SingleFlight
from tests.api.conftest import Client, Headers


async def test_concurrent_asks_share_one_fetch_and_a_failure() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    calls = 0
    gate = asyncio.Event()

    async def fetch() -> int:
        nonlocal calls
        calls += 1
        await gate.wait()
        return 7

    waiters = [asyncio.create_task(flights.fetch("k", fetch)) for _ in range(20)]
    await asyncio.sleep(0)
    waiters[0].cancel()  # one asker leaving does not cancel the others' fetch
    gate.set()
    results = await asyncio.gather(*waiters[1:])
    assert results == [7] * 19 and calls == 1
    # Done: the next ask fetches again.
    assert await flights.fetch("k", fetch) == 7 and calls == 2

    async def broken() -> int:
        raise LookupError("down")

    with pytest.raises(LookupError):
        await asyncio.gather(*(flights.fetch("x", broken) for _ in range(3)))
    assert await flights.fetch("x", fetch) == 7


async def test_a_burst_with_a_new_token_looks_it_up_once(
    client: Client, world: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups = 0
    real = principals.by_tokens

    async def counted(*args: Any) -> Any:
        nonlocal lookups
        lookups += 1
        await asyncio.sleep(0.05)  # a slow database: the burst arrives meanwhile
        return await real(*args)

    monkeypatch.setattr(principals, "by_tokens", counted)
    answers = await asyncio.gather(
        *(client.get("/api/v1/me", headers=world["rep"]) for _ in range(30))
    )
    assert {a.status_code for a in answers} == {200}
    assert lookups == 1
