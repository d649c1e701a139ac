"""Writing audit entries: who, through what, did what to which entity, before and after."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
import msgspec

from incentives.bounds import encode_hook


class Actor(msgspec.Struct, frozen=True):
    """Who is writing: a principal through the API, or an operator through the CLI."""

    name: str
    channel: str  # "api" or "cli"
    principal_id: int | None = None


CLI_ACTOR = Actor(name="cli", channel="cli")


def _json(value: Any) -> str | None:
    # Ingested items carry bounded decimals (incentives.bounds), kept as their text.
    return None if value is None else msgspec.json.encode(value, enc_hook=encode_hook).decode()


async def record(
    conn: asyncpg.Connection,
    actor: Actor,
    action: str,
    entity: str,
    *,
    key: str | None = None,
    before: Any = None,
    after: Any = None,
) -> int:
    """Append one entry in the caller's transaction and return its id."""
    entry_id: int = await conn.fetchval(
        "INSERT INTO audit_log (actor_id, actor, channel, action, entity, entity_key,"
        " before, after) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb) RETURNING id",
        actor.principal_id,
        actor.name,
        actor.channel,
        action,
        entity,
        key,
        _json(before),
        _json(after),
    )
    return entry_id


async def record_many(
    conn: asyncpg.Connection,
    actor: Actor,
    action: str,
    entity: str,
    changes: Sequence[tuple[str, Any, Any]],
) -> None:
    """Append one entry per ``(key, before, after)`` in the caller's transaction.

    One statement for the lot, so a bulk action on thousands of entities still leaves an
    entry for each of them at the cost of one round trip.
    """
    if not changes:
        return
    await conn.execute(
        "INSERT INTO audit_log (actor_id, actor, channel, action, entity, entity_key,"
        " before, after) SELECT $1, $2, $3, $4, $5, u.key, u.before::jsonb, u.after::jsonb"
        " FROM unnest($6::text[], $7::text[], $8::text[]) AS u(key, before, after)",
        actor.principal_id,
        actor.name,
        actor.channel,
        action,
        entity,
        [key for key, _, _ in changes],
        [_json(before) for _, before, _ in changes],
        [_json(after) for _, _, after in changes],
    )
