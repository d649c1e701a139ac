"""What reps and managers read: attainment, earnings with traces, statements, explanations.

A rep reads only their own pay; a manager also their reporting line as it stands today;
finance and admin everyone's. Anyone else's participant answers 404, so that existence
does not leak.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import asyncpg
import msgspec
from litestar import MediaType, Request, Response, Router, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter

from incentives.api.contract import problems
from incentives.api.deps import today
from incentives.api.paging import PAGE_HEADERS, Limit, Offset, paged
from incentives.api.throttle import EstimateLimits
from incentives.auth.access import may_see, visible_participants
from incentives.auth.principals import Principal
from incentives.calc import read
from incentives.calc.copies import ResultsCache
from incentives.calc.estimate import (
    Estimate,
    EstimateOptions,
    HypotheticalDeal,
    estimate,
    options,
)
from incentives.calc.pacing import PacingView, pacing
from incentives.db.connection import driver_of
from incentives.engine.pacing import at_risk, projected
from incentives.formats import Ratio

Conn = NamedDependency[asyncpg.Connection]
Period = Annotated[str | None, QueryParameter(description="2026-Q1, 2026-03 or 2026")]
NOT_FOUND = "No such participant"
# The caller's own reads, by the last part of their path: each is kept per participant as
# its encoded body (see _mine), which the fast path (api/fast_reads.py) answers from too.
OWN_READS: dict[str, Callable[[asyncpg.Connection, int, str | None], Awaitable[object]]] = {
    "attainment": read.attainment,
    "earnings": read.earnings,
}
T = TypeVar("T")


def _own(principal: Principal) -> int:
    """The caller's own participant id."""
    if principal.participant_id is None:
        raise NotFoundException("You are not a participant; ask for one by id")
    return principal.participant_id


async def _subject(conn: Conn, principal: Principal, participant: str | None) -> int:
    """The participant a request is about: the caller, or one they may see."""
    if participant is None:
        return _own(principal)
    found = await conn.fetchval("SELECT id FROM participants WHERE external_id = $1", participant)
    if found is None or not await may_see(conn, principal, found, today()):
        raise NotFoundException(NOT_FOUND)
    return int(found)


async def _attainment(
    conn: Conn,
    request: Request[Principal, Any, Any],
    who: str | None,
    period: str | None,
) -> list[read.MeasureView]:
    return await read.attainment(conn, await _subject(conn, request.user, who), period)


async def _earnings(
    conn: Conn,
    request: Request[Principal, Any, Any],
    who: str | None,
    period: str | None,
) -> list[read.LineView]:
    return await read.earnings(conn, await _subject(conn, request.user, who), period)


async def _statements(
    conn: Conn,
    request: Request[Principal, Any, Any],
    who: str | None,
    limit: int,
    offset: int,
) -> Response[list[read.StatementView]]:
    views, total = await read.statements(
        conn, await _subject(conn, request.user, who), limit, offset
    )
    return paged(request, views, total, limit, offset)


async def _explain(
    conn: Conn, request: Request[Principal, Any, Any], who: str | None, line: str
) -> read.Explanation:
    subject = await _subject(conn, request.user, who)
    parts = read.parse_line_id(line)
    found = None if parts is None else await read.explanation(conn, subject, *parts)
    if found is None:
        raise NotFoundException("No such earning line")
    return found


async def _mine(
    request: Request[Principal, Any, Any], what: str, period: str | None
) -> Response[bytes]:
    """The caller's own ``what`` (an OWN_READS key) as JSON: the process's copy while no
    run has changed it.

    The copy is the encoded body, so a repeated read costs neither a query nor encoding.
    """
    subject = _own(request.user)
    state = request.app.state
    reader = OWN_READS[what]

    async def fetch() -> bytes:
        async with state.engine.connect() as sa_conn:
            return msgspec.json.encode(await reader(await driver_of(sa_conn), subject, period))

    cache: ResultsCache = state.results
    body = await cache.read(subject, (what, period), fetch)
    return Response(content=body, media_type=MediaType.JSON)


def own_copy(
    cache: ResultsCache, principal: Principal, what: str, period: str | None
) -> bytes | None:
    """The kept body of the caller's own ``what`` for ``period``, if the process has one."""
    if principal.participant_id is None:
        return None
    found = cache.kept(principal.participant_id, (what, period))
    return found if isinstance(found, bytes) else None


@get(
    "/me/attainment",
    responses={
        200: ResponseSpec(
            list[read.MeasureView], description="Request fulfilled", generate_examples=False
        )
    },
)
async def my_attainment(
    request: Request[Principal, Any, Any], period: Period = None
) -> Response[bytes]:
    """Your attainment per plan, period and measure."""
    return await _mine(request, "attainment", period)


@get(
    "/me/earnings",
    responses={
        200: ResponseSpec(
            list[read.LineView], description="Request fulfilled", generate_examples=False
        )
    },
)
async def my_earnings(
    request: Request[Principal, Any, Any], period: Period = None
) -> Response[bytes]:
    """Your earning lines, each with its trace."""
    return await _mine(request, "earnings", period)


@get("/me/earnings/{line:str}/explain")
async def my_explanation(
    conn: Conn, request: Request[Principal, Any, Any], line: FromPath[str]
) -> read.Explanation:
    """One of your lines in plain words, with the deals behind it."""
    return await _explain(conn, request, None, line)


async def _pacing(
    conn: Conn, request: Request[Principal, Any, Any], who: str | None, period: str
) -> list[PacingView]:
    return await pacing(conn, await _subject(conn, request.user, who), period, today())


PacingPeriod = Annotated[str, QueryParameter(description="2026-Q1, 2026-03 or 2026")]


@get("/me/pacing")
async def my_pacing(
    conn: Conn, request: Request[Principal, Any, Any], period: PacingPeriod
) -> list[PacingView]:
    """Your pacing in a period per quota measure: the value by close date against the
    quota and the expected-to-date line, the projected finish at today's run rate, tier
    thresholds, gate and cap, and the signals (next tier, gate not reached, capped, at
    risk)."""
    return await _pacing(conn, request, None, period)


@get("/participants/{participant:str}/pacing")
async def their_pacing(
    conn: Conn,
    request: Request[Principal, Any, Any],
    participant: FromPath[str],
    period: PacingPeriod,
) -> list[PacingView]:
    """A participant's pacing in a period (managers: their reporting line)."""
    return await _pacing(conn, request, participant, period)


@get("/me/statements", response_headers=PAGE_HEADERS)
async def my_statements(
    conn: Conn,
    request: Request[Principal, Any, Any],
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response[list[read.StatementView]]:
    """Your pay per plan and period, newest first."""
    return await _statements(conn, request, None, limit, offset)


@get("/participants/{participant:str}/attainment")
async def their_attainment(
    conn: Conn,
    request: Request[Principal, Any, Any],
    participant: FromPath[str],
    period: Period = None,
) -> list[read.MeasureView]:
    """A participant's attainment (managers: their reporting line; finance: anyone)."""
    return await _attainment(conn, request, participant, period)


@get("/participants/{participant:str}/earnings")
async def their_earnings(
    conn: Conn,
    request: Request[Principal, Any, Any],
    participant: FromPath[str],
    period: Period = None,
) -> list[read.LineView]:
    """A participant's earning lines."""
    return await _earnings(conn, request, participant, period)


@get("/participants/{participant:str}/earnings/{line:str}/explain")
async def their_explanation(
    conn: Conn,
    request: Request[Principal, Any, Any],
    participant: FromPath[str],
    line: FromPath[str],
) -> read.Explanation:
    """A participant's line in plain words."""
    return await _explain(conn, request, participant, line)


@get("/participants/{participant:str}/statements", response_headers=PAGE_HEADERS)
async def their_statements(
    conn: Conn,
    request: Request[Principal, Any, Any],
    participant: FromPath[str],
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response[list[read.StatementView]]:
    """A participant's pay per plan and period."""
    return await _statements(conn, request, participant, limit, offset)


class EstimateRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Up to 100 deals you might close."""

    deals: Annotated[list[HypotheticalDeal], msgspec.Meta(min_length=1, max_length=100)]


@post("/me/estimate", status_code=200, responses=problems(422, 429))
async def my_estimate(
    conn: Conn,
    state: State,
    request: Request[Principal, Any, Any],
    data: JSONBody[EstimateRequest],
) -> Estimate:
    """What you would earn if you closed these deals, period by period. Nothing is stored.

    Each caller may ask ``INCENTIVES_ESTIMATES_PER_MINUTE`` times a minute (429 with
    ``Retry-After`` beyond); an estimate that would run past
    ``INCENTIVES_ESTIMATE_BUDGET_MS`` is refused (422 naming ``deals``)."""
    subject = await _subject(conn, request.user, None)
    limits: EstimateLimits = state.estimate_limits
    limits.per_minute.take(request.user.id, "estimates")
    return await estimate(conn, subject, data.deals, budget=limits.budget)


@get("/me/estimate/options")
async def my_estimate_options(conn: Conn, request: Request[Principal, Any, Any]) -> EstimateOptions:
    """The products the estimator offers you (those your plans name or your deals carry)
    and the currency a deal is priced in unless you say otherwise."""
    return await options(conn, _own(request.user), today())


class MemberAttainment(read.MeasureView, kw_only=True):
    """A team member's measure."""

    participant: str
    participant_name: str
    projected_attainment: Ratio | None = None
    at_risk: bool = False


@get("/teams/{team:str}/attainment")
async def team_attainment(
    conn: Conn,
    request: Request[Principal, Any, Any],
    team: FromPath[str],
    period: Period = None,
) -> list[MemberAttainment]:
    """Every member's attainment (members on the period's last day, or today), as far as
    the caller may see: a manager sees only their reporting line."""
    team_id = await conn.fetchval("SELECT id FROM teams WHERE external_id = $1", team)
    visible = await visible_participants(conn, request.user, today())
    on_day = await conn.fetchval("SELECT end_date FROM periods WHERE label = $1", period) or today()
    members = await conn.fetch(
        "SELECT p.id, p.external_id, p.name FROM assignments a"
        " JOIN participants p ON p.id = a.participant_id WHERE a.team_id = $1"
        " AND a.valid_from <= $2 AND (a.valid_to IS NULL OR a.valid_to >= $2) ORDER BY p.name",
        team_id,
        on_day,
    )
    shown = [m for m in members if visible is None or m["id"] in visible]
    if team_id is None or not shown:
        raise NotFoundException("No such team")
    bounds = {
        r["label"]: (r["start_date"], r["end_date"])
        for r in await conn.fetch("SELECT label, start_date, end_date FROM periods")
    }
    views = []
    for member in shown:
        for m in await read.attainment(conn, member["id"], period):
            span = bounds.get(m.period)
            value, quota = Decimal(m.value), None if m.quota is None else Decimal(m.quota)
            finish = None if span is None or not quota else projected(value, span, today()) / quota
            views.append(
                MemberAttainment(
                    **{f: getattr(m, f) for f in m.__struct_fields__},
                    participant=member["external_id"],
                    participant_name=member["name"],
                    projected_attainment=read.ratio_text(finish),
                    at_risk=span is not None and at_risk(value, quota, span, today()),
                )
            )
    return views


class TeamView(msgspec.Struct):
    """A team and how many of its members (today) you may see."""

    id: str
    name: str
    members: int


@get("/teams")
async def visible_teams(conn: Conn, request: Request[Principal, Any, Any]) -> list[TeamView]:
    """The teams with members today whose pay you may read (finance and admin: every
    team with members), by name."""
    visible = await visible_participants(conn, request.user, today())
    rows = await conn.fetch(
        "SELECT t.external_id, t.name, count(*) AS members FROM assignments a"
        " JOIN teams t ON t.id = a.team_id WHERE a.valid_from <= $1"
        " AND (a.valid_to IS NULL OR a.valid_to >= $1)"
        " AND ($2::bigint[] IS NULL OR a.participant_id = ANY($2::bigint[]))"
        " GROUP BY t.id ORDER BY t.name",
        today(),
        None if visible is None else list(visible),
    )
    return [TeamView(r["external_id"], r["name"], r["members"]) for r in rows]


pay_router = Router(
    path="/api/v1",
    route_handlers=[
        my_attainment,
        my_estimate,
        my_estimate_options,
        my_earnings,
        my_explanation,
        my_statements,
        my_pacing,
        their_pacing,
        their_attainment,
        their_earnings,
        their_explanation,
        their_statements,
        team_attainment,
        visible_teams,
    ],
)
