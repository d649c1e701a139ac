"""The audit trail for finance and admin: every recorded change, filtered and paged."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import asyncpg
from litestar import Router, get
from litestar.di import NamedDependency
from litestar.exceptions import ClientException
from litestar.params import FromQuery, QueryParameter

from incentives.api.contract import problems
from incentives.api.deps import IdQuery
from incentives.api.paging import Limit
from incentives.api.plans import FINANCE
from incentives.audit.query import AuditPage, Filters, entries

Instant = Annotated[dt.datetime | None, QueryParameter(description="ISO 8601 with a UTC offset")]


@get("/audit", guards=[FINANCE], responses=problems(422))
async def audit_entries(
    conn: NamedDependency[asyncpg.Connection],
    entity: FromQuery[str | None] = None,
    entity_key: FromQuery[str | None] = None,
    actor: FromQuery[str | None] = None,
    action: FromQuery[str | None] = None,
    since: Instant = None,
    until: Instant = None,
    before_id: IdQuery = None,
    limit: Limit = 50,
) -> AuditPage:
    """Audit entries, newest first: filter by entity (``statement``, ``dispute``, ``plan``,
    ``period``…), entity key, actor name, action, ``since`` (inclusive) and ``until``
    (exclusive); page with ``before_id``."""
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            message = "needs a UTC offset, e.g. 2026-04-01T00:00:00Z"
            raise ClientException(
                f"{name} {message}", status_code=422, extra=[{"key": name, "message": message}]
            )
    filters = Filters(
        entity=entity, entity_key=entity_key, actor=actor, action=action, since=since, until=until
    )
    return await entries(conn, filters, before_id=before_id, limit=limit)


audit_router = Router(path="/api/v1", route_handlers=[audit_entries])
