"""Who may see whose pay: reps themselves, managers their reporting line, finance all."""

from __future__ import annotations

import datetime as dt

import asyncpg

from incentives.auth.principals import Principal
from incentives.auth.roles import Role

SEES_ALL = frozenset({Role.FINANCE, Role.ADMIN})

# Everyone below a manager in the hierarchy as it stands on the given day.
_REPORTING_LINE = """
WITH RECURSIVE line(participant_id) AS (
    SELECT $1::bigint
    UNION
    SELECT a.participant_id FROM assignments a JOIN line ON a.manager_id = line.participant_id
    WHERE a.valid_from <= $2 AND (a.valid_to IS NULL OR a.valid_to >= $2)
)
SELECT participant_id FROM line
"""


async def reporting_line(conn: asyncpg.Connection, manager_id: int, day: dt.date) -> set[int]:
    """The manager and everyone reporting to them, directly or not, on ``day``."""
    return {r["participant_id"] for r in await conn.fetch(_REPORTING_LINE, manager_id, day)}


def reads_a_line(principal: Principal) -> bool:
    """Whether whose pay the principal may read is a reporting line (a manager's), which
    only the database knows; anyone else's is known from the principal alone."""
    return principal.role == Role.MANAGER and principal.participant_id is not None


def visible_at_once(principal: Principal) -> set[int] | None:
    """``visible_participants`` of a principal who does not read a line (``reads_a_line``
    is false), without a lookup; None means all of them."""
    if principal.role in SEES_ALL:
        return None
    if principal.role == Role.REP and principal.participant_id is not None:
        return {principal.participant_id}
    # Integrations and displays read no one's pay, nor does a login of no participant.
    return set()


async def visible_participants(
    conn: asyncpg.Connection, principal: Principal, day: dt.date
) -> set[int] | None:
    """Participant ids whose pay the principal may read; None means all of them."""
    if reads_a_line(principal):
        assert principal.participant_id is not None
        return await reporting_line(conn, principal.participant_id, day)
    return visible_at_once(principal)


async def may_see(
    conn: asyncpg.Connection, principal: Principal, participant_id: int, day: dt.date
) -> bool:
    """Whether the principal may read this participant's pay."""
    visible = await visible_participants(conn, principal, day)
    return visible is None or participant_id in visible
