"""Reading the audit log back, newest first, with filters and keyset pagination."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg
import msgspec

from incentives.instants import Instant, instant


class AuditRecord(msgspec.Struct):
    """One audit entry: who, through which channel, did what to which entity, when, with
    the entity before and after."""

    id: int
    at: Instant
    actor: str
    actor_id: int | None
    channel: str
    action: str
    entity: str
    entity_key: str | None
    before: Any
    after: Any


class AuditPage(msgspec.Struct):
    """Entries, newest first; ``next_before_id`` (when there are older ones) fetches the
    next page as ``before_id``."""

    entries: list[AuditRecord]
    next_before_id: int | None


class Filters(msgspec.Struct, kw_only=True):
    """Exact matches on entity, key, actor name and action; ``since`` inclusive, ``until``
    exclusive."""

    entity: str | None = None
    entity_key: str | None = None
    actor: str | None = None
    action: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


async def entries(
    conn: asyncpg.Connection, filters: Filters, *, before_id: int | None, limit: int
) -> AuditPage:
    """A page of entries matching ``filters``, older than ``before_id`` if given."""
    conditions: list[str] = []
    params: list[object] = []
    # Only the filters given become conditions, so each query can use the indexes.
    for condition, value in (
        ("entity = ${}", filters.entity),
        ("entity_key = ${}", filters.entity_key),
        ("actor = ${}", filters.actor),
        ("action = ${}", filters.action),
        ("at >= ${}", filters.since),
        ("at < ${}", filters.until),
        ("id < ${}", before_id),
    ):
        if value is not None:
            params.append(value)
            conditions.append(condition.format(len(params)))
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    params.append(limit + 1)
    rows = await conn.fetch(
        "SELECT id, at, actor, actor_id, channel, action, entity, entity_key, before, after"
        f" FROM audit_log{where} ORDER BY id DESC LIMIT ${len(params)}",
        *params,
    )
    page = [AuditRecord(**{**dict(r), "at": instant(r["at"])}) for r in rows[:limit]]
    return AuditPage(entries=page, next_before_id=page[-1].id if len(rows) > limit else None)
