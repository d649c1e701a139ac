"""Achievements: a participant's points, level, badges and the awards behind them.

One's own (``/me/achievements``) and anyone's profile (there is no pay in it; an office
display is refused it all the same, as it is everything but boards).
"""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Request, Router, get
from litestar.exceptions import NotFoundException
from litestar.params import PathParameter

from incentives.api.games import Conn
from incentives.auth.principals import Principal
from incentives.games import rules
from incentives.games.achievements import rules_in_force
from incentives.games.model import LevelsTrigger
from incentives.instants import Instant, maybe_instant


class AwardView(msgspec.Struct):
    """Points and a badge won, and what for; a revoked award says when and why."""

    source: str
    key: str
    occasion: str
    name: str
    points: int
    badge: str | None
    awarded_at: Instant | None
    revoked_at: Instant | None
    revoked_reason: str | None
    detail: dict[str, Any]


class LevelView(msgspec.Struct):
    """A level and the points it takes."""

    name: str
    points: int


class Achievements(msgspec.Struct):
    """A participant's points (from awards that stand), level, badges and awards."""

    participant: str
    name: str
    points: int
    level: LevelView | None
    next_level: LevelView | None
    badges: list[str]
    awards: list[AwardView]


async def _achievements(conn: asyncpg.Connection, participant_id: int) -> Achievements:
    who = await conn.fetchrow(
        "SELECT external_id, name FROM participants WHERE id = $1", participant_id
    )
    if who is None:
        raise NotFoundException("No such participant")
    rows = await conn.fetch(
        "SELECT source, source_key, occasion, name, points, badge, awarded_at, revoked_at,"
        " revoked_reason, detail FROM awards WHERE participant_id = $1"
        " ORDER BY awarded_at DESC, id DESC",
        participant_id,
    )
    standing = [r for r in rows if r["revoked_at"] is None]
    points = sum(r["points"] for r in standing)
    levels = next(
        (r.when.levels for r in await rules_in_force(conn) if isinstance(r.when, LevelsTrigger)),
        [],
    )
    reached = rules.levels_reached(points, levels)
    upcoming = rules.next_level(points, levels)
    return Achievements(
        participant=who["external_id"],
        name=who["name"],
        points=points,
        level=LevelView(reached[-1].name, reached[-1].points) if reached else None,
        next_level=None if upcoming is None else LevelView(upcoming.name, upcoming.points),
        badges=sorted({r["badge"] for r in standing if r["badge"]}),
        awards=[
            AwardView(
                source=r["source"],
                key=r["source_key"],
                occasion=r["occasion"],
                name=r["name"],
                points=r["points"],
                badge=r["badge"],
                awarded_at=maybe_instant(r["awarded_at"]),
                revoked_at=maybe_instant(r["revoked_at"]),
                revoked_reason=r["revoked_reason"],
                detail=r["detail"],
            )
            for r in rows
        ],
    )


@get("/me/achievements")
async def my_achievements(conn: Conn, request: Request[Principal, Any, Any]) -> Achievements:
    """Your points, level, badges and awards."""
    if request.user.participant_id is None:
        raise NotFoundException("You are not a participant")
    return await _achievements(conn, request.user.participant_id)


@get("/participants/{participant:str}/achievements")
async def their_achievements(
    conn: Conn,
    participant: Annotated[str, PathParameter(description="the participant's external id")],
) -> Achievements:
    """A participant's profile of points, level and badges (no pay in it: anyone may look)."""
    found = await conn.fetchval("SELECT id FROM participants WHERE external_id = $1", participant)
    if found is None:
        raise NotFoundException("No such participant")
    return await _achievements(conn, found)


achievements_router = Router(path="/api/v1", route_handlers=[my_achievements, their_achievements])
