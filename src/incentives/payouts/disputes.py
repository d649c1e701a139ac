"""Disputes: a participant's inquiry on one statement line, answered and resolved by finance.

``open → answered → accepted | declined`` (finance may also resolve an open one at once).
A dispute accepted with an adjustment never changes the disputed statement: the amount is
stored as a manual adjustment in an open period (by default the first open period of the
same kind after the statement's), and the statement made when that period closes pays it
as an ``adjustment`` line. A declined dispute names its reason. Every change is audited.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

import asyncpg
import msgspec

from incentives import errors
from incentives.audit import log as audit
from incentives.auth.principals import Principal
from incentives.db.paging import fetch_page
from incentives.engine.money import MoneyError, format_minor, to_minor
from incentives.formats import CurrencyCode, Money
from incentives.instants import Instant, instant, maybe_instant
from incentives.webhooks import events
from incentives.webhooks.events import EventType

UNRESOLVED = ("open", "answered")


class DisputeError(errors.DomainError):
    """A dispute action refused."""


class NotFound(DisputeError, errors.NotFound):
    """No such dispute or statement line, as far as the caller may know."""


class Conflict(DisputeError, errors.Conflict):
    """The dispute (or line) is not in a state that allows the action."""


class Invalid(DisputeError, errors.InvalidField):
    """A field of the request is wrong: ``Invalid(field, message)``."""


class Adjustment(msgspec.Struct):
    """What an accepted dispute pays: how much, in which open period, and the statement
    that paid it once that period has closed."""

    amount: Money
    currency: CurrencyCode
    period: str
    statement: int | None


class DisputeView(msgspec.Struct, kw_only=True):
    """A dispute with the line it is about and where it stands."""

    id: int
    statement: int
    line_no: int
    line_name: str
    line_amount: Money
    currency: CurrencyCode
    period: str
    participant: str
    status: str
    message: str
    opened_by: str
    opened_at: Instant
    answer: str | None
    answered_by: str | None
    answered_at: Instant | None
    resolution_reason: str | None
    adjustment: Adjustment | None
    resolved_by: str | None
    resolved_at: Instant | None


_COLUMNS = """
SELECT d.id, d.statement_id, d.line_no, d.participant_id, l.name AS line_name,
       l.amount_minor AS line_minor,
       d.currency, s.period, p.external_id AS participant, d.status, d.message,
       ob.name AS opened_by, d.created_at AS opened_at, d.answer, ab.name AS answered_by,
       d.answered_at, d.resolution_reason, rb.name AS resolved_by, d.resolved_at,
       m.amount_minor AS adjustment_minor, m.period AS adjustment_period,
       m.statement_id AS adjustment_statement
"""
_FROM = """
FROM disputes d
JOIN statement_lines l ON l.statement_id = d.statement_id AND l.line_no = d.line_no
JOIN statements s ON s.id = d.statement_id
JOIN participants p ON p.id = d.participant_id
JOIN principals ob ON ob.id = d.opened_by_id
LEFT JOIN principals ab ON ab.id = d.answered_by_id
LEFT JOIN principals rb ON rb.id = d.resolved_by_id
LEFT JOIN manual_adjustments m ON m.dispute_id = d.id
"""
_VIEW = _COLUMNS + _FROM


def _view(row: asyncpg.Record) -> DisputeView:
    currency = row["currency"]
    adjustment = None
    if row["adjustment_minor"] is not None:
        adjustment = Adjustment(
            amount=format_minor(row["adjustment_minor"], currency),
            currency=currency,
            period=row["adjustment_period"],
            statement=row["adjustment_statement"],
        )
    return DisputeView(
        id=row["id"],
        statement=row["statement_id"],
        line_no=row["line_no"],
        line_name=row["line_name"],
        line_amount=format_minor(row["line_minor"], currency),
        currency=currency,
        period=row["period"],
        participant=row["participant"],
        status=row["status"],
        message=row["message"],
        opened_by=row["opened_by"],
        opened_at=instant(row["opened_at"]),
        answer=row["answer"],
        answered_by=row["answered_by"],
        answered_at=maybe_instant(row["answered_at"]),
        resolution_reason=row["resolution_reason"],
        adjustment=adjustment,
        resolved_by=row["resolved_by"],
        resolved_at=maybe_instant(row["resolved_at"]),
    )


async def get(
    conn: asyncpg.Connection, dispute_id: int, *, visible: Collection[int] | None
) -> DisputeView:
    """One dispute, if it concerns a participant in ``visible`` (None: anyone)."""
    row = await conn.fetchrow(_VIEW + " WHERE d.id = $1", dispute_id)
    if row is None or (visible is not None and row["participant_id"] not in visible):
        raise NotFound(f"no dispute {dispute_id}")
    return _view(row)


async def listing(
    conn: asyncpg.Connection,
    *,
    visible: Collection[int] | None,
    status: str | None = None,
    period: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[DisputeView], int]:
    """A page of the disputes about participants in ``visible`` (None: everyone's),
    newest first, and how many there are in all."""
    rows, total = await fetch_page(
        conn,
        _COLUMNS
        + ", count(*) OVER () AS total"
        + _FROM
        + " WHERE ($1::bigint[] IS NULL OR d.participant_id = ANY($1::bigint[]))"
        " AND ($2::text IS NULL OR d.status = $2) AND ($3::text IS NULL OR s.period = $3)"
        " ORDER BY d.id DESC LIMIT $4 OFFSET $5",
        None if visible is None else sorted(visible),
        status,
        period,
        limit,
        offset,
    )
    return [_view(r) for r in rows], total


async def _announced(conn: asyncpg.Connection, dispute_id: int, event: EventType) -> DisputeView:
    """The dispute as it now is, announced as ``event``."""
    view = await get(conn, dispute_id, visible=None)
    await events.announce(conn, event, [msgspec.to_builtins(view)])
    return view


async def open_dispute(
    conn: asyncpg.Connection, principal: Principal, statement_id: int, line_no: int, message: str
) -> DisputeView:
    """Open an inquiry on a line of the caller's own statement."""
    line = await conn.fetchrow(
        "SELECT s.participant_id, l.currency FROM statement_lines l"
        " JOIN statements s ON s.id = l.statement_id"
        " WHERE l.statement_id = $1 AND l.line_no = $2",
        statement_id,
        line_no,
    )
    # Someone else's line reads exactly like a missing one: existence does not leak.
    if line is None or line["participant_id"] != principal.participant_id:
        raise NotFound(f"no line {line_no} on statement {statement_id}")
    dispute_id = await conn.fetchval(
        "INSERT INTO disputes (statement_id, line_no, participant_id, currency, opened_by_id,"
        " message) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (statement_id, line_no) WHERE status IN ('open', 'answered') DO NOTHING"
        " RETURNING id",
        statement_id,
        line_no,
        line["participant_id"],
        line["currency"],
        principal.id,
        message,
    )
    if dispute_id is None:
        raise Conflict(f"line {line_no} of statement {statement_id} already has an open inquiry")
    await audit.record(
        conn,
        principal.actor(),
        "open",
        "dispute",
        key=str(dispute_id),
        after={"statement": statement_id, "line_no": line_no, "message": message},
    )
    return await _announced(conn, dispute_id, EventType.DISPUTE_OPENED)


async def _unresolved(conn: asyncpg.Connection, dispute_id: int) -> asyncpg.Record:
    """The dispute, locked for the rest of the transaction; refused once resolved."""
    row = await conn.fetchrow(
        "SELECT d.*, s.period, q.kind, q.end_date FROM disputes d"
        " JOIN statements s ON s.id = d.statement_id JOIN periods q ON q.label = s.period"
        " WHERE d.id = $1 FOR UPDATE OF d",
        dispute_id,
    )
    if row is None:
        raise NotFound(f"no dispute {dispute_id}")
    if row["status"] not in UNRESOLVED:
        raise Conflict(f"dispute {dispute_id} is already {row['status']}")
    return row


async def answer(
    conn: asyncpg.Connection, principal: Principal, dispute_id: int, text: str
) -> DisputeView:
    """Finance's answer to an unresolved inquiry (a later answer replaces it)."""
    row = await _unresolved(conn, dispute_id)
    await conn.execute(
        "UPDATE disputes SET status = 'answered', answer = $2, answered_by_id = $3,"
        " answered_at = now() WHERE id = $1",
        dispute_id,
        text,
        principal.id,
    )
    await audit.record(
        conn,
        principal.actor(),
        "answer",
        "dispute",
        key=str(dispute_id),
        before={"status": row["status"], "answer": row["answer"]},
        after={"status": "answered", "answer": text},
    )
    return await _announced(conn, dispute_id, EventType.DISPUTE_ANSWERED)


async def _landing_period(conn: asyncpg.Connection, row: asyncpg.Record, named: str | None) -> str:
    """The open period an adjustment lands in, locked so that it cannot start closing
    before this transaction commits (its close would miss the adjustment)."""
    if named is not None:
        status = await conn.fetchval("SELECT status FROM periods WHERE label = $1 FOR SHARE", named)
        if status is None:
            raise Invalid("period", f"no period {named!r}")
        if status != "open":
            raise Invalid("period", f"{named} is {status}; an adjustment lands in an open period")
        return named
    # Every later open period of the kind is locked, not just the first: if a close claims
    # the first meanwhile, it drops out of the answer and the next one is still there.
    later = await conn.fetch(
        "SELECT label FROM periods WHERE kind = $1 AND start_date > $2 AND status = 'open'"
        " ORDER BY start_date FOR SHARE",
        row["kind"],
        row["end_date"],
    )
    if not later:
        raise Invalid(
            "period",
            f"no open {row['kind']} after {row['period']}: generate the next fiscal year,"
            " or name an open period",
        )
    label: str = later[0]["label"]
    return label


async def resolve(
    conn: asyncpg.Connection,
    principal: Principal,
    dispute_id: int,
    *,
    accepted: bool,
    reason: str | None,
    adjustment: Decimal | None,
    period: str | None,
) -> DisputeView:
    """Accept an inquiry with an adjustment (paid in an open period), or decline it with a
    reason."""
    row = await _unresolved(conn, dispute_id)
    currency = row["currency"]
    amount_minor = None
    landing = None
    if accepted:
        if adjustment is None:
            raise Invalid("adjustment", "an accepted dispute needs the amount to pay")
        try:
            amount_minor = to_minor(adjustment, currency)
        except MoneyError as exc:
            raise Invalid("adjustment", str(exc)) from exc
        if amount_minor == 0:
            raise Invalid("adjustment", "must not be zero; decline the dispute instead")
        landing = await _landing_period(conn, row, period)
    else:
        if not reason:
            raise Invalid("reason", "a declined dispute needs a reason")
        if adjustment is not None or period is not None:
            field = "adjustment" if adjustment is not None else "period"
            raise Invalid(field, "a declined dispute pays nothing")
    status = "accepted" if accepted else "declined"
    await conn.execute(
        "UPDATE disputes SET status = $2, resolution_reason = $3, adjustment_minor = $4,"
        " resolved_by_id = $5, resolved_at = now() WHERE id = $1",
        dispute_id,
        status,
        reason,
        amount_minor,
        principal.id,
    )
    actor = principal.actor()
    after: dict[str, object] = {"status": status, "reason": reason}
    if amount_minor is not None:
        adjustment_id = await conn.fetchval(
            "INSERT INTO manual_adjustments (participant_id, period, amount_minor, currency,"
            " reason, dispute_id, created_by_id) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            " RETURNING id",
            row["participant_id"],
            landing,
            amount_minor,
            currency,
            reason
            or f"Inquiry {dispute_id} on statement {row['statement_id']}"
            f" line {row['line_no']} accepted",
            dispute_id,
            principal.id,
        )
        shown = {"amount": format_minor(amount_minor, currency), "currency": currency}
        after["adjustment"] = {**shown, "period": landing}
        await audit.record(
            conn,
            actor,
            "create",
            "manual_adjustment",
            key=str(adjustment_id),
            after={
                **shown,
                "period": landing,
                "participant_id": row["participant_id"],
                "dispute": dispute_id,
            },
        )
    await audit.record(
        conn,
        actor,
        "resolve",
        "dispute",
        key=str(dispute_id),
        before={"status": row["status"]},
        after=after,
    )
    return await _announced(conn, dispute_id, EventType.DISPUTE_RESOLVED)
