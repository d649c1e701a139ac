"""Announcing that a run changed results, so readers holding copies can drop them.

A run sends ``NOTIFY`` in the transaction that replaces the results: PostgreSQL delivers
it only if, and once, that transaction commits, so a listener never hears of results it
cannot read yet, nor of a run that rolled back.
"""

from __future__ import annotations

import asyncpg
import msgspec

CHANNEL = "results_changed"
# Larger scopes are announced as "everyone": a notification payload is limited to 8000
# bytes, and dropping every copy after a big run costs little.
_MAX_IDS = 500


class Change(msgspec.Struct, frozen=True):
    """Whose results changed: participant database ids, or None for everyone."""

    participants: frozenset[int] | None


_DECODER = msgspec.json.Decoder(Change)


async def announce(conn: asyncpg.Connection, participants: set[int] | None) -> None:
    """Tell listeners, when the current transaction commits, whose results it changed."""
    ids = None if participants is None or len(participants) > _MAX_IDS else participants
    payload = msgspec.json.encode(Change(None if ids is None else frozenset(ids)))
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, payload.decode())


def parse(payload: str) -> Change:
    """The change a notification announces; anything unreadable counts as everyone's."""
    try:
        return _DECODER.decode(payload)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return Change(None)
