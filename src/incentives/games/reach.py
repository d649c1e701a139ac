"""Whom a contest made through the API may name and reach.

Every team and participant it names must exist: a misspelt team would otherwise make a
contest nobody plays. A manager's contest reaches only people whose pay that manager may
read (their reporting line, by the rule every pay read follows, ``auth.access``): its
board and its prizes would otherwise rank and pay people whose figures are not theirs to
see. Finance and admin reach everyone.
"""

from __future__ import annotations

import datetime as dt

import asyncpg

from incentives.auth.access import visible_participants
from incentives.auth.principals import Principal
from incentives.engine.validate import Problem
from incentives.games.model import Contest, Eligibility
from incentives.games.query import eligible_query
from incentives.games.standings import reference_day

# Outsiders a refusal names before it says how many more there are.
_NAMED = 10
_LISTS = (("teams", "teams", "team"), ("participants", "participants", "participant"))


async def problems(
    conn: asyncpg.Connection, contest: Contest, maker: Principal, today: dt.date
) -> list[Problem]:
    """What is wrong with whom the contest names or reaches, each at its path."""
    found = await _unknown(conn, contest.participants)
    return found or await _beyond(conn, contest, maker, today)


async def _unknown(conn: asyncpg.Connection, who: Eligibility) -> list[Problem]:
    found = []
    for name, table, what in _LISTS:
        listed: list[str] = getattr(who, name) or []
        if not listed:
            continue
        known = {
            r["external_id"]
            for r in await conn.fetch(
                f"SELECT external_id FROM {table} WHERE external_id = ANY($1::text[])", listed
            )
        }
        found += [
            Problem(f"participants.{name}[{index}]", f"no {what} {item!r}")
            for index, item in enumerate(listed)
            if item not in known
        ]
    return found


async def _beyond(
    conn: asyncpg.Connection, contest: Contest, maker: Principal, today: dt.date
) -> list[Problem]:
    """The people the contest would reach whose pay its maker may not read."""
    day = reference_day(contest, today)
    visible = await visible_participants(conn, maker, day)
    if visible is None:
        return []
    query = eligible_query(contest)
    mine = f"${len(query.values) + 1}::bigint[]"
    rows = await conn.fetch(
        f"SELECT o.external_id FROM ({query.sql}) e JOIN participants o"
        f" ON o.id = e.participant_id WHERE NOT e.participant_id = ANY({mine})"
        " ORDER BY o.external_id",
        *query.args((), day),
        sorted(visible),
    )
    outside = [r["external_id"] for r in rows]
    if not outside:
        return []
    who = contest.participants
    path = (
        "participants.participants"
        if who.participants is not None
        else "participants.teams"
        if who.teams is not None
        else "participants"
    )
    more = f" and {len(outside) - _NAMED} more" if len(outside) > _NAMED else ""
    return [
        Problem(
            path,
            f"reaches people whose pay you may not read: {', '.join(outside[:_NAMED])}{more};"
            " a manager's contest covers only their reporting line",
        )
    ]
