"""The contests a principal may see: the rule, once in Python (for one contest) and once in
SQL (for a list that pages and counts only what its reader may see), and the row read.

Finance and admin see every contest; a contest's own manager sees it in any state; other
participants see public contests once scheduled (managers their drafts too); an office
display sees public contests under way or over (see ``display``).
"""

from __future__ import annotations

import asyncpg

from incentives.auth.access import SEES_ALL
from incentives.auth.principals import Principal
from incentives.auth.roles import Role
from incentives.db.paging import fetch_page
from incentives.games import display
from incentives.games.approvals import STATE_SQL
from incentives.games.display import ContestStatus

ROW = (
    "SELECT c.id, c.key, c.name, c.status, c.visibility, c.starts_on, c.ends_on, c.definition,"
    " c.created_by, c.created_by_id, c.revision, c.created_at, c.updated_at, c.live_at,"
    " c.frozen_at, c.awarded_at, c.cancelled_at,"
    " (SELECT count(*) FROM contest_entries e WHERE e.contest_id = c.id) AS participants,"
    f" {STATE_SQL} FROM contests c"
)


def may_view(principal: Principal, status: str, visibility: str, created_by: int | None) -> bool:
    """Whether the principal may see a contest at all."""
    if display.is_display(principal):
        return display.shows_contest(status, visibility)
    if principal.role in SEES_ALL or created_by == principal.id:
        return True
    if visibility == "test":
        return False
    return status != ContestStatus.DRAFT or principal.role == Role.MANAGER


def _visible(principal: Principal) -> tuple[str, list[object]]:
    """``may_view`` as a condition on ``contests c``, its parameters numbered from ``$2``."""
    if display.is_display(principal):
        shown = sorted(display.SHOWN_STATUSES)
        return "c.visibility = 'public' AND c.status = ANY($2::text[])", [shown]
    if principal.role in SEES_ALL:
        return "true", []
    return (
        "(c.created_by_id IS NOT DISTINCT FROM $2::bigint OR (c.visibility <> 'test'"
        " AND (c.status <> 'draft' OR $3::bool)))",
        [principal.id, principal.role == Role.MANAGER],
    )


async def listing(
    conn: asyncpg.Connection,
    principal: Principal,
    status: ContestStatus | None,
    *,
    limit: int,
    offset: int,
) -> tuple[list[asyncpg.Record], int]:
    """A page of the contests the principal may see, newest window first, and how many
    there are in all."""
    visible, params = _visible(principal)
    n = 2 + len(params)
    return await fetch_page(
        conn,
        f"SELECT count(*) OVER () AS total, {ROW.removeprefix('SELECT ')}"
        f" WHERE ($1::text IS NULL OR c.status = $1) AND {visible}"
        f" ORDER BY c.starts_on DESC, c.id DESC LIMIT ${n} OFFSET ${n + 1}",
        status,
        *params,
        limit,
        offset,
    )
