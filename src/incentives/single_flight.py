"""Concurrent requests for the same missing thing share one fetch of it.

A process that has just started, or whose caches were just cleared, receives many
requests for the same few things at once (a token's principal, a contest's id or board);
without this each of them queries the database, and the queries queue for the pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    """One fetch per key at a time; whoever asks meanwhile waits for that fetch."""

    def __init__(self) -> None:
        self._flying: dict[K, asyncio.Future[V]] = {}

    async def fetch(self, key: K, fetch: Callable[[], Awaitable[V]]) -> V:
        """The result of ``fetch()``, shared with everyone asking for ``key`` meanwhile."""
        flying = self._flying.get(key)
        if flying is None:
            flying = asyncio.ensure_future(fetch())
            self._flying[key] = flying
            flying.add_done_callback(lambda _: self._flying.pop(key, None))
        # One waiter giving up (a client gone) must not cancel the others' fetch.
        return await asyncio.shield(flying)
