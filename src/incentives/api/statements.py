"""Closing periods (finance) and reading statements (everyone, as far as they may see).

Finance and admin see every statement, a manager their reporting line's (as it stands
today), a rep their own; any other statement answers 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import asyncpg
from litestar import MediaType, Request, Response, Router, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import PathParameter, QueryParameter

from incentives.api.contract import problems
from incentives.api.deps import Id, today
from incentives.api.paging import PAGE_HEADERS, Limit, Offset, paged
from incentives.api.plans import FINANCE
from incentives.api.security import roles
from incentives.auth.access import visible_participants
from incentives.auth.principals import Principal
from incentives.auth.roles import Role
from incentives.db.limits import as_number
from incentives.payouts.changes import Change, changes
from incentives.payouts.statements import (
    HTML_POLICY,
    Statement,
    StatementSummary,
    get_statement,
    list_statements,
    to_csv,
    to_html,
)
from incentives.periods.close import Closed, close_period

Conn = NamedDependency[asyncpg.Connection]
Format = Literal["json", "csv", "html"]
STATUSES = Literal["draft", "submitted", "approved", "paid"]
READERS = roles(Role.REP, Role.MANAGER, Role.FINANCE, Role.ADMIN)
NO_STATEMENT = "No such statement"


@post(
    "/periods/{period:str}/close",
    guards=[FINANCE],
    status_code=200,
    responses=problems(409),
)
async def close(
    state: State,
    request: Request[Principal, Any, Any],
    period: Annotated[str, PathParameter(description="a period label (2026-Q1) or id")],
) -> Closed:
    """Close a period now: a final run, its results frozen, a draft statement per
    participant and currency. 409 if it is closed, being closed, or an earlier period of
    its kind is still open."""
    return await close_period(state.engine, period, request.user.actor())


@get("/statements", guards=[READERS], response_headers=PAGE_HEADERS)
async def statements(
    conn: Conn,
    request: Request[Principal, Any, Any],
    period: Annotated[str | None, QueryParameter(description="2026-Q1, 2026-03 or 2026")] = None,
    participant: Annotated[str | None, QueryParameter(description="external id")] = None,
    status: Annotated[STATUSES | None, QueryParameter(description="payout status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response[list[StatementSummary]]:
    """Statements you may see, newest period first."""
    visible = await visible_participants(conn, request.user, today())
    found, total = await list_statements(
        conn,
        visible=visible,
        period=period,
        participant=participant,
        status=status,
        limit=limit,
        offset=offset,
    )
    return paged(request, found, total, limit, offset)


_SUFFIXES: dict[str, Format] = {".json": "json", ".csv": "csv", ".html": "html"}


def _wanted(
    name: str, asked: Format | None, request: Request[Principal, Any, Any]
) -> tuple[int, Format]:
    """The statement id and format from ``123``, ``123.html``, ``?format=`` or Accept."""
    shape: Format | None = asked
    for suffix, fmt in _SUFFIXES.items():
        if name.endswith(suffix):
            name, shape = name.removesuffix(suffix), fmt
    number = as_number(name)
    if number is None:
        raise NotFoundException(NO_STATEMENT)
    if shape is None:
        accept = request.headers.get("accept", "")
        shape = "csv" if "text/csv" in accept else "html" if "text/html" in accept else "json"
    return number, shape


@get("/statements/{statement:str}", guards=[READERS])
async def statement(
    conn: Conn,
    request: Request[Principal, Any, Any],
    statement: Annotated[str, PathParameter(description="an id; 12.csv and 12.html pick a format")],
    format_: Annotated[Format | None, QueryParameter(name="format")] = None,
) -> Response[Statement | str]:
    """A statement with every line: JSON, CSV (``?format=csv`` or ``Accept: text/csv``) or
    a printable HTML page (``/statements/{id}.html`` or ``?format=html``)."""
    statement_id, shape = _wanted(statement, format_, request)
    visible = await visible_participants(conn, request.user, today())
    found = await get_statement(conn, statement_id, visible=visible)
    if found is None:
        raise NotFoundException(NO_STATEMENT)
    if shape == "csv":
        return Response(
            to_csv(found),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="statement-{found.id}.csv"'},
        )
    if shape == "html":
        return Response(
            to_html(found),
            media_type=MediaType.HTML,
            headers={"Content-Security-Policy": HTML_POLICY},
        )
    return Response(found)


@get("/statements/{statement_id:int}/change", guards=[READERS])
async def statement_change(
    conn: Conn, request: Request[Principal, Any, Any], statement_id: Id
) -> Change:
    """The statement beside the same person's for the period before, with the change and
    its flag (see ``GET /payouts/changes``)."""
    visible = await visible_participants(conn, request.user, today())
    found = await changes(conn, visible=visible, statement_id=statement_id)
    if not found:
        raise NotFoundException(NO_STATEMENT)
    return found[0]


statements_router = Router(
    path="/api/v1",
    route_handlers=[close, statements, statement, statement_change],
)
