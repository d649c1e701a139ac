"""Listening for PostgreSQL notifications on a connection of its own, reconnecting."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.db.connection import driver_of
from incentives.db.faults import OUTAGE, Fault, classify

log = logging.getLogger(__name__)
_RETRY_SECONDS = 1.0

Handler = Callable[[object, int, str, object], None]


async def listen(
    engine: AsyncEngine,
    channels: Mapping[str, Handler],
    *,
    up: Callable[[], None],
    down: Callable[[], None],
    name: str,
) -> None:
    """Hold a pooled connection listening on ``channels`` for as long as the task runs.

    ``up`` is called once it listens and ``down`` whenever it stops (its connection lost,
    or the task cancelled): whoever keeps copies must drop them then, since announcements
    may have been missed. A lost connection is replaced after a second.
    """
    while True:
        try:
            async with engine.connect() as sa_conn:
                OUTAGE.back()
                await _listen_on(await driver_of(sa_conn), channels, up, down)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            failure = classify(exc)
            if failure is not None and failure.fault is Fault.UNAVAILABLE:
                OUTAGE.failed(failure)  # told once per outage, not at every retry
            else:
                log.warning("%s lost its connection: %s", name, exc)
        await asyncio.sleep(_RETRY_SECONDS)


async def _listen_on(
    conn: asyncpg.Connection,
    channels: Mapping[str, Handler],
    up: Callable[[], None],
    down: Callable[[], None],
) -> None:
    lost = asyncio.Event()

    def on_close(_conn: object) -> None:
        lost.set()

    conn.add_termination_listener(on_close)
    for channel, handler in channels.items():
        await conn.add_listener(channel, handler)
    up()
    try:
        await lost.wait()
    finally:
        down()
        conn.remove_termination_listener(on_close)
        if not conn.is_closed():
            for channel, handler in channels.items():
                await conn.remove_listener(channel, handler)
