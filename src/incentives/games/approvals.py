"""Limits on contests' cash prizes, and finance's approval of the large ones.

Every contest made through the API keeps each cash prize at or below the largest one
allowed (``INCENTIVES_CONTEST_MAX_PRIZE``). A contest a manager makes with a cash prize
above ``INCENTIVES_CONTEST_APPROVAL_ABOVE`` waits for finance's approval: it may be
scheduled, but does not go live (so neither ranks nor pays) until finance approves it. A
contest finance or admin make or edit is approved by that. An edit asks again.
"""

from __future__ import annotations

import enum
from decimal import Decimal

import asyncpg
import msgspec

from incentives.audit import log as audit
from incentives.auth.access import SEES_ALL
from incentives.auth.principals import Principal
from incentives.engine.money import to_minor
from incentives.engine.validate import Problem
from incentives.games.model import Contest


class Approval(enum.StrEnum):
    """Where a contest that needs finance's approval stands."""

    PENDING = "pending"
    APPROVED = "approved"


class PrizeLimits(msgspec.Struct, frozen=True):
    """The largest cash prize a contest may offer, and the largest a manager's may offer
    without finance's approval (both in the contest's currency)."""

    largest: Decimal
    approval_above: Decimal


def largest_cash(contest: Contest) -> Decimal | None:
    """The contest's largest cash prize (None: it has none)."""
    return max((p.cash for p in contest.prizes if p.cash is not None), default=None)


def cash_problems(contest: Contest, limits: PrizeLimits) -> list[Problem]:
    """Each cash prize above the largest allowed, at its path."""
    return [
        Problem(
            f"prizes[{index}].cash",
            f"above the largest cash prize allowed ({limits.largest} {contest.currency})",
        )
        for index, prize in enumerate(contest.prizes)
        if prize.cash is not None and prize.cash > limits.largest
    ]


async def ask(
    conn: asyncpg.Connection,
    contest_id: int,
    contest: Contest,
    maker: Principal,
    limits: PrizeLimits,
) -> Approval | None:
    """Record whether this definition of the contest waits for finance (a manager's cash
    prize above the threshold), replacing what an earlier definition asked."""
    await conn.execute("DELETE FROM contest_approvals WHERE contest_id = $1", contest_id)
    largest = largest_cash(contest)
    if maker.role in SEES_ALL or largest is None or largest <= limits.approval_above:
        return None
    assert contest.currency is not None  # a cash prize needs one (model.py)
    await conn.execute(
        "INSERT INTO contest_approvals (contest_id, largest_cash_minor, currency)"
        " VALUES ($1, $2, $3)",
        contest_id,
        to_minor(largest, contest.currency),
        contest.currency,
    )
    return Approval.PENDING


async def pending(conn: asyncpg.Connection, contest_id: int) -> bool:
    """Whether the contest waits for finance's approval."""
    found = await conn.fetchval(
        "SELECT approved_at IS NULL FROM contest_approvals WHERE contest_id = $1", contest_id
    )
    return bool(found)


async def approve(conn: asyncpg.Connection, contest_id: int, actor: audit.Actor) -> bool:
    """Record finance's approval; False if the contest was not waiting for one."""
    done = await conn.fetchval(
        "UPDATE contest_approvals SET approved_at = now(), approved_by_id = $2,"
        " approved_by = $3 WHERE contest_id = $1 AND approved_at IS NULL RETURNING true",
        contest_id,
        actor.principal_id,
        actor.name,
    )
    return bool(done)


# The approval state of ``contests c`` as a column: NULL when none is needed.
STATE_SQL = (
    "(SELECT CASE WHEN a.approved_at IS NULL THEN 'pending' ELSE 'approved' END"
    " FROM contest_approvals a WHERE a.contest_id = c.id) AS approval"
)
