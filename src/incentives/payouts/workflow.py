"""Payout approval: ``draft → submitted → approved → paid``, or rejected back to draft.

Every change is a conditional UPDATE on the statement's version (optimistic locking): of
two people acting on one statement at once exactly one wins, and the other is told that
it changed. Whoever submitted a statement may not approve it (the four-eyes rule, on
unless configured off). Only workflow columns move: the database refuses any change to a
statement's amount, so an approved amount never changes and a later difference is paid as
an adjustment. Each change leaves an audit entry per statement, with before and after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
import msgspec

from incentives import errors
from incentives.audit import log as audit
from incentives.engine.money import format_minor
from incentives.formats import CurrencyCode, Money
from incentives.instants import Instant, maybe_instant
from incentives.webhooks import events
from incentives.webhooks.events import EventType


class WorkflowError(errors.DomainError):
    """An action refused; ``fields`` names each offending statement, when there are several."""


class NotFound(WorkflowError, errors.NotFound):
    """No such statement or period."""


class Invalid(WorkflowError, errors.Invalid):
    """Statements the request names do not exist: a bad request, not a missing resource."""


class Conflict(WorkflowError, errors.Conflict):
    """The statement is not in the state the action needs, or changed since it was read."""


class FourEyes(WorkflowError, errors.Forbidden):
    """The approver is the one who submitted."""


@dataclass(frozen=True)
class Action:
    """A transition: from which status to which, and what else it records."""

    name: str
    done: str  # the outcome's word in results: "approved"
    source: str
    target: str
    # Other columns it sets; ``$5``, if there, is the action's value (the actor or a reason).
    sets: str
    # The webhook event each statement it moves announces.
    announces: EventType


SUBMIT = Action(
    "submit",
    "submitted",
    "draft",
    "submitted",
    "submitted_by_id = $5, submitted_at = now(), rejected_reason = NULL",
    EventType.STATEMENT_SUBMITTED,
)
APPROVE = Action(
    "approve",
    "approved",
    "submitted",
    "approved",
    "approved_by_id = $5, approved_at = now()",
    EventType.STATEMENT_APPROVED,
)
REJECT = Action(
    "reject",
    "rejected",
    "submitted",
    "draft",
    "submitted_by_id = NULL, submitted_at = NULL, rejected_reason = $5",
    EventType.STATEMENT_REJECTED,
)
PAY = Action("pay", "paid", "approved", "paid", "paid_at = now()", EventType.STATEMENT_PAID)


class StatementState(msgspec.Struct, kw_only=True):
    """Where a statement stands in its approval workflow."""

    id: int
    participant: str
    period: str
    currency: CurrencyCode
    total: Money
    status: str
    version: int
    submitted_by: str | None
    submitted_at: Instant | None
    approved_by: str | None
    approved_at: Instant | None
    exported_at: Instant | None
    paid_at: Instant | None
    rejected_reason: str | None


_READ = (
    "SELECT s.id, s.status, s.version, s.submitted_by_id, s.exported_at, s.currency,"
    " s.total_minor, s.period, p.external_id AS participant"
    " FROM statements s JOIN participants p ON p.id = s.participant_id"
)


async def state(conn: asyncpg.Connection, statement_id: int) -> StatementState:
    """A statement's workflow state."""
    row = await conn.fetchrow(
        "SELECT s.id, p.external_id AS participant, s.period, s.currency, s.total_minor,"
        " s.status, s.version, sb.name AS submitted_by, s.submitted_at, ab.name AS approved_by,"
        " s.approved_at, s.exported_at, s.paid_at, s.rejected_reason"
        " FROM statements s JOIN participants p ON p.id = s.participant_id"
        " LEFT JOIN principals sb ON sb.id = s.submitted_by_id"
        " LEFT JOIN principals ab ON ab.id = s.approved_by_id WHERE s.id = $1",
        statement_id,
    )
    if row is None:
        raise NotFound(f"no statement {statement_id}")
    fields = dict(row)
    fields["total"] = format_minor(fields.pop("total_minor"), row["currency"])
    for moment in ("submitted_at", "approved_at", "exported_at", "paid_at"):
        fields[moment] = maybe_instant(fields[moment])
    return StatementState(**fields)


def refusal(
    action: Action, row: asyncpg.Record, actor: audit.Actor, *, four_eyes: bool
) -> WorkflowError | None:
    """Why ``actor`` may not take ``action`` on the statement read as ``row``, if they may not."""
    if row["status"] != action.source:
        return Conflict(
            f"statement {row['id']} is {row['status']}; it must be {action.source}"
            f" to be {action.done}"
        )
    if action is APPROVE and four_eyes and row["submitted_by_id"] == actor.principal_id:
        return FourEyes(f"statement {row['id']}: you submitted it, so someone else must approve it")
    if action is PAY and row["exported_at"] is None:
        return Conflict(
            f"statement {row['id']} is not in a payroll export yet; export it before"
            " marking it paid"
        )
    return None


async def apply(
    conn: asyncpg.Connection,
    action: Action,
    rows: Sequence[asyncpg.Record],
    actor: audit.Actor,
    value: int | str | None = None,
) -> list[int]:
    """Move the statements read as ``rows`` unless they changed since; the ids moved.

    One UPDATE for all of them, each matched on the version it was read at, and one audit
    entry per statement moved.
    """
    if not rows:
        return []
    sql = (
        f"UPDATE statements s SET status = $3, version = s.version + 1, {action.sets}"
        " FROM unnest($1::bigint[], $2::int[]) AS u(id, version)"
        " WHERE s.id = u.id AND s.version = u.version AND s.status = $4"
        " RETURNING s.id, s.version"
    )
    params: list[object] = [
        [r["id"] for r in rows],
        [r["version"] for r in rows],
        action.target,
        action.source,
    ]
    if "$5" in action.sets:
        params.append(value)
    moved = {r["id"]: r["version"] for r in await conn.fetch(sql, *params)}
    after_extra = {"reason": value} if action is REJECT else {}
    done = [r for r in rows if r["id"] in moved]
    await audit.record_many(
        conn,
        actor,
        action.name,
        "statement",
        [
            (
                str(r["id"]),
                {"status": action.source, "version": r["version"]},
                {"status": action.target, "version": moved[r["id"]], **after_extra},
            )
            for r in done
        ],
    )
    await events.announce(
        conn,
        action.announces,
        [
            {
                "id": r["id"],
                "participant": r["participant"],
                "period": r["period"],
                "currency": r["currency"],
                "total": format_minor(r["total_minor"], r["currency"]),
                "status": action.target,
                "version": moved[r["id"]],
                **after_extra,
            }
            for r in done
        ],
    )
    return [r["id"] for r in done]


async def transition(
    conn: asyncpg.Connection,
    statement_id: int,
    action: Action,
    actor: audit.Actor,
    *,
    version: int | None = None,
    four_eyes: bool = True,
    reason: str | None = None,
) -> StatementState:
    """Take ``action`` on one statement; ``version``: the one the caller read, if any."""
    row = await conn.fetchrow(_READ + " WHERE s.id = $1", statement_id)
    if row is None:
        raise NotFound(f"no statement {statement_id}")
    if version is not None and version != row["version"]:
        raise Conflict(
            f"statement {statement_id} is at version {row['version']}, not {version}:"
            " it changed since you read it"
        )
    refused = refusal(action, row, actor, four_eyes=four_eyes)
    if refused is not None:
        raise refused
    value = reason if action is REJECT else actor.principal_id
    if not await apply(conn, action, [row], actor, value):
        raise Conflict(f"statement {statement_id} changed meanwhile; read it again")
    return await state(conn, statement_id)


class BulkItem(msgspec.Struct, omit_defaults=True):
    """One statement of a bulk action: done, or skipped and why."""

    statement: int
    participant: str
    outcome: str
    reason: str | None = None


class BulkResult(msgspec.Struct):
    """A bulk action over a period: each statement it could act on, and the rest counted
    by status."""

    period: str
    action: str
    done: int
    skipped: int
    statements: list[BulkItem]
    others: dict[str, int]


async def bulk(
    conn: asyncpg.Connection,
    period: str,
    action: Action,
    actor: audit.Actor,
    *,
    four_eyes: bool = True,
) -> BulkResult:
    """Take ``action`` on every statement of ``period`` that can take it.

    Statements it may not act on (the four-eyes rule, a concurrent change) are listed as
    skipped with the reason; those in other states are only counted.
    """
    if await conn.fetchval("SELECT 1 FROM periods WHERE label = $1", period) is None:
        raise NotFound(f"no period {period!r}")
    rows = await conn.fetch(_READ + " WHERE s.period = $1 ORDER BY p.external_id, s.id", period)
    others: dict[str, int] = {}
    candidates, skipped = [], []
    for row in rows:
        if row["status"] != action.source:
            others[row["status"]] = others.get(row["status"], 0) + 1
        elif (refused := refusal(action, row, actor, four_eyes=four_eyes)) is not None:
            skipped.append(BulkItem(row["id"], row["participant"], "skipped", str(refused)))
        else:
            candidates.append(row)
    moved = set(await apply(conn, action, candidates, actor, actor.principal_id))
    items = [
        BulkItem(r["id"], r["participant"], action.done)
        if r["id"] in moved
        else BulkItem(r["id"], r["participant"], "skipped", "changed meanwhile; try again")
        for r in candidates
    ]
    done = sum(1 for i in items if i.outcome == action.done)
    return BulkResult(
        period=period,
        action=action.name,
        done=done,
        skipped=len(items) - done + len(skipped),
        statements=items + skipped,
        others=others,
    )


class Paid(msgspec.Struct):
    """What marking statements paid did: those newly paid (with their sum per currency),
    those paid already, and approved ones left because no export has included them."""

    paid: list[int]
    already_paid: list[int]
    not_exported: list[int]
    amounts: dict[str, Money]


async def mark_paid(
    conn: asyncpg.Connection,
    actor: audit.Actor,
    *,
    period: str | None = None,
    statements: Sequence[int] | None = None,
) -> Paid:
    """Mark exported, approved statements paid: those of a period, or the ones named.

    Idempotent: paid statements stay as they are and are reported as already paid. Named
    statements that cannot be paid (missing, not approved, never exported) refuse the whole
    request, naming each.
    """
    if period is not None:
        if await conn.fetchval("SELECT 1 FROM periods WHERE label = $1", period) is None:
            raise NotFound(f"no period {period!r}")
        rows = await conn.fetch(
            _READ + " WHERE s.period = $1 AND s.status IN ('approved', 'paid') ORDER BY s.id",
            period,
        )
    else:
        wanted = list(dict.fromkeys(statements or ()))
        found = await conn.fetch(_READ + " WHERE s.id = ANY($1::bigint[])", wanted)
        by_id = {r["id"]: r for r in found}
        unknown = [
            errors.FieldError(f"statements[{i}]", f"no statement {sid}")
            for i, sid in enumerate(wanted)
            if sid not in by_id
        ]
        if unknown:
            raise Invalid("some statements do not exist", unknown)
        rows = [by_id[sid] for sid in wanted]
        unpayable = [
            errors.FieldError(f"statements[{i}]", str(refused))
            for i, r in enumerate(rows)
            if r["status"] != "paid"
            and (refused := refusal(PAY, r, actor, four_eyes=False)) is not None
        ]
        if unpayable:
            raise Conflict("some statements cannot be marked paid; nothing was", unpayable)
    payable = [r for r in rows if r["status"] == "approved" and r["exported_at"] is not None]
    moved = set(await apply(conn, PAY, payable, actor))
    if len(moved) < len(payable):
        # Someone else moved one meanwhile: only another payment is harmless.
        late = [r["id"] for r in payable if r["id"] not in moved]
        statuses = await conn.fetch(
            "SELECT id FROM statements WHERE id = ANY($1::bigint[]) AND status <> 'paid'", late
        )
        if statuses:
            raise Conflict(f"statement {statuses[0]['id']} changed meanwhile; try again")
    amounts: dict[str, int] = {}
    for r in payable:
        if r["id"] in moved:
            amounts[r["currency"]] = amounts.get(r["currency"], 0) + r["total_minor"]
    payable_ids = {r["id"] for r in payable}
    return Paid(
        paid=[r["id"] for r in payable if r["id"] in moved],
        already_paid=[
            r["id"]
            for r in rows
            if r["id"] not in moved and (r["status"] == "paid" or r["id"] in payable_ids)
        ],
        not_exported=[
            r["id"] for r in rows if r["status"] == "approved" and r["exported_at"] is None
        ],
        amounts={c: format_minor(v, c) for c, v in sorted(amounts.items())},
    )
