"""Reps' reads are served from a per-process copy, and a run replaces it at once."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api import results_cache
from incentives.api.app import create_app
from incentives.calc import changes
from incentives.calc.copies import ResultsCache
from incentives.db.connection import driver_transaction
from tests.api.conftest import Headers, post_deal


async def _until(condition: Any, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if await condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


async def test_a_run_replaces_what_a_rep_reads_from_the_copy(
    db: AsyncEngine, world: Headers
) -> None:
    app = create_app(db)
    cache: ResultsCache = app.state.results
    transport = httpx.ASGITransport(app=cast(Any, app))
    async with (
        results_cache.listening(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):

        async def listening() -> bool:
            return cache.listening

        await _until(listening)

        async def rep_1_earns() -> str:
            got = await client.get("/api/v1/me/earnings?period=2026-Q1", headers=world["rep"])
            assert got.status_code == 200
            return str(got.json()[0]["amount"])

        assert await rep_1_earns() == "1284.57"
        # A change no run announced is not seen: the read comes from the process's copy.
        async with driver_transaction(db) as conn:
            await conn.execute("UPDATE earning_lines SET amount_minor = 1 WHERE period = '2026-Q1'")
        assert await rep_1_earns() == "1284.57"
        # A deal for rep-1: the incremental run's announcement drops the copy.
        await post_deal(client, world["integration"], "D-9", "rep-1", "300", "2026-03-02")

        async def updated() -> bool:
            return await rep_1_earns() == "1314.57"  # + 10% of 300

        await _until(updated)


async def test_reads_begun_before_a_change_are_not_kept() -> None:
    cache = ResultsCache()
    cache.listening = True
    fetches = 0

    async def fetch() -> int:
        nonlocal fetches
        fetches += 1
        # A run's announcement arrives while this read is under way.
        cache.changed(changes.Change(frozenset({7})))
        return fetches

    assert await cache.read(1, "k", fetch) == 1
    assert await cache.read(1, "k", fetch) == 2  # the first was not kept: read again
    cache.changed(changes.Change(frozenset({1})))

    async def steady() -> int:
        nonlocal fetches
        fetches += 1
        return fetches

    assert await cache.read(1, "k", steady) == 3
    assert await cache.read(1, "k", steady) == 3  # kept
    cache.changed(changes.Change(frozenset({2})))
    assert await cache.read(1, "k", steady) == 3  # someone else's change
    cache.changed(changes.Change(None))
    assert await cache.read(1, "k", steady) == 4  # everyone's
    cache.listening = False
    assert await cache.read(1, "k", steady) == 5  # not listening: never from a copy
