"""Payout approval, payroll export and marking paid (finance and admin).

Every POST here moves money, so each accepts an ``Idempotency-Key`` (see idempotency.py)
and runs in one transaction: a refused request leaves nothing behind.
"""

from __future__ import annotations

import io
from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException
from litestar.params import FromPath, JSONBody, QueryParameter

from incentives.api.contract import problems
from incentives.api.deps import Id
from incentives.api.idempotency import IdempotencyKey, once
from incentives.api.plans import FINANCE
from incentives.auth.principals import Principal
from incentives.bounds import Message, PeriodName, RowId, Version
from incentives.db.connection import driver_transaction
from incentives.payouts import workflow
from incentives.payouts.changes import Change, changes
from incentives.payouts.export import EXPORTABLE, export
from incentives.payouts.queue import WorkQueue, work_queue
from incentives.payouts.workflow import BulkResult, Paid, StatementState

MAX_STATEMENTS = 10_000
Text = Message


class Expected(msgspec.Struct, forbid_unknown_fields=True):
    """Optionally, the version of the statement you read: if it changed since, 409."""

    version: Version | None = None


class Rejection(msgspec.Struct, forbid_unknown_fields=True):
    """Why the statement goes back to draft."""

    reason: Text
    version: Version | None = None


async def _transition(
    request: Request[Principal, Any, Any],
    key: str | None,
    statement_id: int,
    action: workflow.Action,
    version: int | None,
    reason: str | None = None,
) -> Response[StatementState]:
    async def act(conn: asyncpg.Connection) -> StatementState:
        return await workflow.transition(
            conn,
            statement_id,
            action,
            request.user.actor(),
            version=version,
            four_eyes=request.app.state.four_eyes,
            reason=reason,
        )

    return await once(request, key, act, StatementState)


@post(
    "/statements/{statement_id:int}/submit",
    guards=[FINANCE],
    status_code=200,
    responses=problems(409),
)
async def submit_statement(
    request: Request[Principal, Any, Any],
    statement_id: Id,
    data: JSONBody[Expected | None] = None,
    idempotency_key: IdempotencyKey = None,
) -> Response[StatementState]:
    """Submit a draft statement for approval."""
    return await _transition(
        request,
        idempotency_key,
        statement_id,
        workflow.SUBMIT,
        None if data is None else data.version,
    )


@post(
    "/statements/{statement_id:int}/approve",
    guards=[FINANCE],
    status_code=200,
    responses=problems(409),
)
async def approve_statement(
    request: Request[Principal, Any, Any],
    statement_id: Id,
    data: JSONBody[Expected | None] = None,
    idempotency_key: IdempotencyKey = None,
) -> Response[StatementState]:
    """Approve a submitted statement; not by whoever submitted it (four-eyes rule, 403).
    Of concurrent approvals exactly one succeeds, the others get 409."""
    return await _transition(
        request,
        idempotency_key,
        statement_id,
        workflow.APPROVE,
        None if data is None else data.version,
    )


@post(
    "/statements/{statement_id:int}/reject",
    guards=[FINANCE],
    status_code=200,
    responses=problems(409),
)
async def reject_statement(
    request: Request[Principal, Any, Any],
    statement_id: Id,
    data: JSONBody[Rejection],
    idempotency_key: IdempotencyKey = None,
) -> Response[StatementState]:
    """Send a submitted statement back to draft, with the reason."""
    return await _transition(
        request, idempotency_key, statement_id, workflow.REJECT, data.version, data.reason.strip()
    )


async def _bulk(
    request: Request[Principal, Any, Any], key: str | None, period: str, action: workflow.Action
) -> Response[BulkResult]:
    async def act(conn: asyncpg.Connection) -> BulkResult:
        return await workflow.bulk(
            conn, period, action, request.user.actor(), four_eyes=request.app.state.four_eyes
        )

    return await once(request, key, act, BulkResult)


@post("/periods/{period:str}/statements/submit", guards=[FINANCE], status_code=200)
async def submit_period(
    request: Request[Principal, Any, Any],
    period: FromPath[str],
    idempotency_key: IdempotencyKey = None,
) -> Response[BulkResult]:
    """Submit every draft statement of the period; the result lists each."""
    return await _bulk(request, idempotency_key, period, workflow.SUBMIT)


@post("/periods/{period:str}/statements/approve", guards=[FINANCE], status_code=200)
async def approve_period(
    request: Request[Principal, Any, Any],
    period: FromPath[str],
    idempotency_key: IdempotencyKey = None,
) -> Response[BulkResult]:
    """Approve every submitted statement of the period that the caller may approve; those
    they submitted themselves (four-eyes rule) or that changed meanwhile are listed as
    skipped, with the reason."""
    return await _bulk(request, idempotency_key, period, workflow.APPROVE)


@post(
    "/payouts/export",
    guards=[FINANCE],
    status_code=200,
    media_type="text/csv",
    responses=problems(404, 422),
)
async def export_payouts(
    request: Request[Principal, Any, Any],
    period: Annotated[str, QueryParameter(description="the period's label, e.g. 2026-Q1")],
    status: Annotated[str, QueryParameter(description="approved (default) or paid")] = "approved",
) -> Response[str]:
    """The period's payouts in ``status`` as a payroll CSV file, one row per statement;
    records each statement's first export, which marking it paid requires (a POST, since
    it records; exporting again records nothing more)."""
    if status not in EXPORTABLE:
        message = f"one of {', '.join(EXPORTABLE)}"
        raise ClientException(
            f"status must be {message}",
            status_code=422,
            extra=[{"key": "status", "message": message}],
        )
    out = io.StringIO()
    async with driver_transaction(request.app.state.engine) as conn:
        await export(conn, period, status, request.user.actor(), out)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="payouts-{period}-{status}.csv"'},
    )


class MarkPaid(msgspec.Struct, forbid_unknown_fields=True):
    """Which statements to mark paid: a period's (exported, approved ones), or these ids."""

    period: PeriodName | None = None
    statements: (
        Annotated[list[RowId], msgspec.Meta(min_length=1, max_length=MAX_STATEMENTS)] | None
    ) = None


@post("/payouts/mark-paid", guards=[FINANCE], status_code=200, responses=problems(404, 409, 422))
async def mark_paid(
    request: Request[Principal, Any, Any],
    data: JSONBody[MarkPaid],
    idempotency_key: IdempotencyKey = None,
) -> Response[Paid]:
    """Mark exported, approved statements paid; idempotent (paid ones are reported as
    already paid). Named statements that cannot be paid refuse the whole request (409)."""
    if (data.period is None) == (data.statements is None):
        message = "give either a period or a list of statement ids"
        raise ClientException(
            message,
            status_code=422,
            extra=[
                {"key": "period", "message": message},
                {"key": "statements", "message": message},
            ],
        )

    async def act(conn: asyncpg.Connection) -> Paid:
        return await workflow.mark_paid(
            conn, request.user.actor(), period=data.period, statements=data.statements
        )

    return await once(request, idempotency_key, act, Paid)


@get("/payouts/queue", guards=[FINANCE])
async def payout_queue(conn: NamedDependency[asyncpg.Connection]) -> WorkQueue:
    """What waits for finance across closed periods: drafts to submit, submitted to
    approve, approved not yet exported, exported not yet paid, and unresolved disputes,
    each with counts and totals per currency, newest period first."""
    return await work_queue(conn)


@get("/payouts/changes", guards=[FINANCE])
async def payout_changes(
    conn: NamedDependency[asyncpg.Connection],
    period: Annotated[str, QueryParameter(description="the period's label, e.g. 2026-Q3")],
) -> list[Change]:
    """Each statement of the period beside the same person's for the period before, the
    change in money and as a fraction, and a flag: ``jump`` or ``drop`` when it moved by at
    least half and at least 500 in the currency, ``new`` when nothing was paid before."""
    return await changes(conn, visible=None, period=period)


payouts_router = Router(
    path="/api/v1",
    route_handlers=[
        submit_statement,
        approve_statement,
        reject_statement,
        submit_period,
        approve_period,
        export_payouts,
        mark_paid,
        payout_queue,
        payout_changes,
    ],
)
