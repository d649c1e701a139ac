"""Disputes: participants ask about a statement line; finance answers and resolves.

A participant opens inquiries on their own statements only and reads those about their
pay (a manager also their reporting line's); finance and admin read and answer all.
Anyone else's dispute or line answers 404, like a missing one.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import asyncpg
import msgspec
from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter

from incentives.api.contract import problems
from incentives.api.deps import Id, LineNo, today
from incentives.api.idempotency import IdempotencyKey, once
from incentives.api.paging import PAGE_HEADERS, Limit, Offset, paged
from incentives.api.payouts import Text
from incentives.api.plans import FINANCE
from incentives.api.security import roles
from incentives.auth.access import visible_participants
from incentives.auth.principals import Principal
from incentives.auth.roles import Role
from incentives.bounds import Amount, PeriodName
from incentives.payouts import disputes
from incentives.payouts.disputes import DisputeView

PAYEES = roles(Role.REP, Role.MANAGER)
READERS = roles(Role.REP, Role.MANAGER, Role.FINANCE, Role.ADMIN)
Status = FromQuery[Literal["open", "answered", "accepted", "declined"] | None]


class Inquiry(msgspec.Struct, forbid_unknown_fields=True):
    """What the participant asks about the line."""

    message: Text


class Answer(msgspec.Struct, forbid_unknown_fields=True):
    """Finance's answer."""

    answer: Text


class Resolution(msgspec.Struct, forbid_unknown_fields=True):
    """``accepted`` with the ``adjustment`` to pay (a decimal string in the line's
    currency; ``period``: the open period it lands in, by default the next one of the same
    kind), or ``declined`` with a ``reason``."""

    outcome: Literal["accepted", "declined"]
    reason: Text | None = None
    adjustment: Amount | None = None
    period: PeriodName | None = None


@post(
    "/statements/{statement_id:int}/lines/{line_no:int}/disputes",
    guards=[PAYEES],
    responses=problems(409),
)
async def open_dispute(
    request: Request[Principal, Any, Any],
    statement_id: Id,
    line_no: LineNo,
    data: JSONBody[Inquiry],
    idempotency_key: IdempotencyKey = None,
) -> Response[DisputeView]:
    """Ask about a line of your own statement (201); one open inquiry per line at a time."""
    return await once(
        request,
        idempotency_key,
        lambda conn: disputes.open_dispute(
            conn, request.user, statement_id, line_no, data.message.strip()
        ),
        DisputeView,
        status_code=201,
    )


@get("/disputes", guards=[READERS], response_headers=PAGE_HEADERS)
async def list_disputes(
    conn: NamedDependency[asyncpg.Connection],
    request: Request[Principal, Any, Any],
    status: Status = None,
    period: Annotated[str | None, QueryParameter(description="the statement's period")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response[list[DisputeView]]:
    """Disputes about your pay (managers: your reporting line's; finance: everyone's),
    newest first."""
    visible = await visible_participants(conn, request.user, today())
    found, total = await disputes.listing(
        conn, visible=visible, status=status, period=period, limit=limit, offset=offset
    )
    return paged(request, found, total, limit, offset)


@get("/disputes/{dispute_id:int}", guards=[READERS])
async def get_dispute(
    conn: NamedDependency[asyncpg.Connection],
    request: Request[Principal, Any, Any],
    dispute_id: Id,
) -> DisputeView:
    """One dispute and where it stands."""
    visible = await visible_participants(conn, request.user, today())
    return await disputes.get(conn, dispute_id, visible=visible)


@post(
    "/disputes/{dispute_id:int}/answer", guards=[FINANCE], status_code=200, responses=problems(409)
)
async def answer_dispute(
    request: Request[Principal, Any, Any],
    dispute_id: Id,
    data: JSONBody[Answer],
    idempotency_key: IdempotencyKey = None,
) -> Response[DisputeView]:
    """Answer an unresolved inquiry (a later answer replaces it)."""
    return await once(
        request,
        idempotency_key,
        lambda conn: disputes.answer(conn, request.user, dispute_id, data.answer.strip()),
        DisputeView,
    )


@post(
    "/disputes/{dispute_id:int}/resolve",
    guards=[FINANCE],
    status_code=200,
    responses=problems(409, 422),
)
async def resolve_dispute(
    request: Request[Principal, Any, Any],
    dispute_id: Id,
    data: JSONBody[Resolution],
    idempotency_key: IdempotencyKey = None,
) -> Response[DisputeView]:
    """Accept with an adjustment, paid in an open period (the disputed statement never
    changes), or decline with a reason."""
    return await once(
        request,
        idempotency_key,
        lambda conn: disputes.resolve(
            conn,
            request.user,
            dispute_id,
            accepted=data.outcome == "accepted",
            reason=None if data.reason is None else data.reason.strip(),
            adjustment=data.adjustment,
            period=data.period,
        ),
        DisputeView,
    )


disputes_router = Router(
    path="/api/v1",
    route_handlers=[open_dispute, list_disputes, get_dispute, answer_dispute, resolve_dispute],
)
