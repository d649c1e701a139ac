"""Ingesting a batch of one kind: validate every item, then apply all of it or none.

The caller owns the transaction: the API wraps one batch, the CSV import a whole file.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from incentives import metrics
from incentives.audit import log as audit
from incentives.ingest import locks, rules
from incentives.ingest import upsert as up
from incentives.ingest.hierarchy import cycles_closed
from incentives.ingest.history import record_deal_history
from incentives.ingest.items import (
    KINDS,
    ActivityItem,
    AssignmentItem,
    DealItem,
    FxRateItem,
    Item,
    ParticipantItem,
    PlanAssignmentItem,
    QuotaItem,
    convert_items,
)
from incentives.ingest.problems import BatchRejected, ItemProblem
from incentives.ingest.references import Directory, team_ids
from incentives.ingest.touched import Touched
from incentives.ingest.warnings import (
    IngestWarning,
    PlansInForce,
    batch_warnings,
    rate_warnings,
)

PARTICIPANTS = up.TableSpec(
    "participants",
    key=("external_id",),
    columns={
        "external_id": "text",
        "name": "text",
        "email": "text",
        "currency": "text",
        "start_date": "date",
        "end_date": "date",
    },
)
ASSIGNMENTS = up.TableSpec(
    "assignments",
    key=("participant_id", "valid_from"),
    columns={
        "participant_id": "bigint",
        "valid_from": "date",
        "valid_to": "date",
        "team_id": "bigint",
        "manager_id": "bigint",
    },
)
DEALS = up.TableSpec(
    "deals",
    key=("external_id",),
    columns={
        "external_id": "text",
        "owner_id": "bigint",
        "amount_minor": "bigint",
        "currency": "text",
        "close_date": "date",
        "status": "text",
        "product": "text",
        "cancel_date": "date",
        "attributes": "jsonb",
    },
    versioned=True,
    json_columns=frozenset({"attributes"}),
)
ACTIVITIES = up.TableSpec(
    "activities",
    key=("external_id",),
    columns={
        "external_id": "text",
        "participant_id": "bigint",
        "type": "text",
        "occurred_at": "timestamptz",
        "quantity": "numeric",
        "attributes": "jsonb",
    },
    json_columns=frozenset({"attributes"}),
)


PLAN_ASSIGNMENTS = up.TableSpec(
    "plan_assignments",
    key=("subject", "plan_key", "valid_from"),
    columns={
        "subject": "text",
        "plan_key": "text",
        "valid_from": "date",
        "participant_id": "bigint",
        "team_id": "bigint",
        "valid_to": "date",
        "target_incentive_minor": "bigint",
        "currency": "text",
    },
)
QUOTAS = up.TableSpec(
    "quotas",
    key=("participant_id", "period", "measure"),
    columns={"participant_id": "bigint", "period": "text", "measure": "text", "amount": "numeric"},
)
FX_RATES = up.TableSpec(
    "fx_rates",
    key=("currency", "to_currency", "on_date"),
    columns={"currency": "text", "to_currency": "text", "on_date": "date", "rate": "numeric"},
)


class IngestResult(msgspec.Struct):
    """Counts of what a batch did; ``audit_id`` is the audit entry that records it."""

    kind: str
    created: int
    updated: int
    unchanged: int
    audit_id: int | None = None
    # Accepted items whose values nearly, but not exactly, match what the plans name.
    warnings: list[IngestWarning] = msgspec.field(default_factory=list)

    def add(self, other: IngestResult) -> None:
        """Accumulate another chunk's counts (the CSV import applies a file in chunks)."""
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.warnings += other.warnings


class _Check:
    """Collects problems of one batch, item by item."""

    def __init__(self) -> None:
        self.problems: list[ItemProblem] = []

    def add(self, index: int, item: Item, field: str, message: str) -> None:
        key = getattr(item, "external_id", None)
        self.problems.append(ItemProblem(item=index, field=field, message=message, key=key))

    def duplicates(self, keys: Sequence[Any], items: Sequence[Item], field: str) -> None:
        seen = Counter(keys)
        for index, (key, item) in enumerate(zip(keys, items, strict=True)):
            if seen[key] > 1:
                self.add(index, item, field, rules.REPEATED_IN_BATCH)

    def participant(
        self, directory: Directory, index: int, item: Item, field: str, ref: str
    ) -> int | None:
        found = directory.get(ref)
        if found is None:
            self.add(index, item, field, directory.why_unresolved(ref))
        return found

    def add_all(self, index: int, item: Item, problems: list[rules.Problem]) -> None:
        for field, message in problems:
            self.add(index, item, field, message)

    def raise_if_any(self) -> None:
        if self.problems:
            raise BatchRejected(self.problems)


def _money(
    check: _Check, index: int, item: Item, amount: Decimal, currency: str, field: str = "amount"
) -> int:
    minor, problems = rules.money(amount, currency, field)
    check.add_all(index, item, problems)
    return minor


async def _participants(
    conn: asyncpg.Connection, items: list[ParticipantItem], check: _Check, by_person: bool
) -> up.Outcome:
    check.duplicates([i.external_id for i in items], items, "external_id")
    for index, item in enumerate(items):
        check.add_all(index, item, rules.participant_problems(item))
    check.raise_if_any()
    rows = [
        {
            "external_id": i.external_id,
            "name": i.name,
            "email": i.email,
            "currency": i.currency,
            "start_date": i.start_date,
            "end_date": i.end_date,
        }
        for i in items
    ]
    return await up.upsert(conn, PARTICIPANTS, rows)


def _check_overlaps(
    check: _Check,
    items: Sequence[Item],
    incoming: list[rules.Span],
    stored: list[rules.Span],
    what: str,
) -> None:
    """Refuse items whose range overlaps another of the same ``who`` after the batch applies."""
    for index, message in rules.overlaps(incoming, stored, what):
        check.add(index, items[index], "valid_from", message)
    check.raise_if_any()


async def _assignments(
    conn: asyncpg.Connection, items: list[AssignmentItem], check: _Check, by_person: bool
) -> up.Outcome:
    directory = await Directory.load(
        conn, [i.participant for i in items] + [i.manager for i in items if i.manager]
    )
    check.duplicates([(i.participant, i.valid_from) for i in items], items, "valid_from")
    rows: list[up.Row] = []
    for index, item in enumerate(items):
        pid = check.participant(directory, index, item, "participant", item.participant)
        mid = (
            check.participant(directory, index, item, "manager", item.manager)
            if item.manager
            else None
        )
        check.add_all(index, item, rules.assignment_problems(item))
        rows.append(
            {
                "participant_id": pid,
                "valid_from": item.valid_from,
                "valid_to": item.valid_to,
                "manager_id": mid,
                "team": item.team,
            }
        )
    check.raise_if_any()

    stored = await conn.fetch(
        "SELECT participant_id, valid_from, valid_to FROM assignments"
        " WHERE participant_id = ANY($1::bigint[])",
        sorted({r["participant_id"] for r in rows}),
    )
    _check_overlaps(
        check,
        items,
        [(r["participant_id"], r["valid_from"], r["valid_to"]) for r in rows],
        [(r["participant_id"], r["valid_from"], r["valid_to"]) for r in stored],
        "assignment",
    )
    lines = [
        rules.Line(r["participant_id"], r["valid_from"], r["valid_to"], r["manager_id"])
        for r in rows
    ]
    for index, cycle in await cycles_closed(conn, lines):
        check.add(index, items[index], "manager", cycle)
    check.raise_if_any()

    teams = await team_ids(conn, {i.team: i.team_name or i.team for i in items if i.team})
    for row in rows:
        team = row.pop("team")
        row["team_id"] = teams[team] if team else None
    return await up.upsert(conn, ASSIGNMENTS, rows)


_PERCENT_PLACES = Decimal("0.000001")  # as stored: numeric(9, 6)


def _splits_key(splits: Sequence[tuple[int, Decimal]]) -> tuple[tuple[int, Decimal], ...]:
    # Sorted, at the stored scale, so that equal splits compare equal however they were sent.
    if not splits:
        return ()
    return tuple(sorted((pid, pct.quantize(_PERCENT_PLACES)) for pid, pct in splits))


async def _deals(
    conn: asyncpg.Connection, items: list[DealItem], check: _Check, by_person: bool
) -> up.Outcome:
    refs = [i.owner for i in items] + [s.participant for i in items for s in i.splits or ()]
    directory = await Directory.load(conn, refs, by_person=by_person)
    check.duplicates([i.external_id for i in items], items, "external_id")
    rows: list[up.Row] = []
    for index, item in enumerate(items):
        owner = check.participant(directory, index, item, "owner", item.owner)
        amount = _money(check, index, item, item.amount, item.currency)
        check.add_all(index, item, rules.deal_problems(item))
        splits: list[tuple[int, Decimal]] = []
        for n, split in enumerate(item.splits or ()):
            pid = check.participant(
                directory, index, item, f"splits[{n}].participant", split.participant
            )
            if pid is not None:
                splits.append((pid, split.percent))
        check.add_all(index, item, rules.split_participants_problems([p for p, _ in splits]))
        # A single 100% split to the owner is the same as no split.
        if splits == [(owner, Decimal(100))]:
            splits = []
        rows.append(
            {
                "external_id": item.external_id,
                "owner_id": owner,
                "amount_minor": amount,
                "currency": item.currency,
                "close_date": item.close_date,
                "status": item.status,
                "product": item.product,
                "cancel_date": item.cancel_date,
                "attributes": item.attributes,
                "splits": _splits_key(splits),
            }
        )
    check.raise_if_any()

    existing = await up.load_existing(conn, DEALS, [(r["external_id"],) for r in rows])
    stored_splits: dict[int, list[tuple[int, Decimal]]] = {}
    for record in await conn.fetch(
        "SELECT deal_id, participant_id, percent FROM deal_splits WHERE deal_id = ANY($1)",
        [deal_id for deal_id, _ in existing.values()],
    ):
        stored_splits.setdefault(record["deal_id"], []).append(
            (record["participant_id"], record["percent"])
        )
    for deal_id, row in existing.values():
        row["splits"] = _splits_key(stored_splits.get(deal_id, []))

    def same(old: up.Row, new: up.Row) -> bool:
        return all(old[c] == new[c] for c in DEALS.columns) and old["splits"] == new["splits"]

    outcome = await up.upsert(conn, DEALS, rows, same=same, existing=existing)

    # New deals get their splits; changed deals get theirs replaced only if they changed.
    resplit = [
        (deal_id, new) for deal_id, old, new in outcome.updated if old["splits"] != new["splits"]
    ]
    if resplit:
        await conn.execute(
            "DELETE FROM deal_splits WHERE deal_id = ANY($1)", [deal_id for deal_id, _ in resplit]
        )
    split_rows = [
        (deal_id, pid, pct)
        for deal_id, row in [*outcome.created, *resplit]
        for pid, pct in row["splits"]
    ]
    if split_rows:
        await conn.copy_records_to_table(
            "deal_splits", records=split_rows, columns=["deal_id", "participant_id", "percent"]
        )
    return outcome


async def _activities(
    conn: asyncpg.Connection, items: list[ActivityItem], check: _Check, by_person: bool
) -> up.Outcome:
    directory = await Directory.load(conn, [i.participant for i in items], by_person=by_person)
    check.duplicates([i.external_id for i in items], items, "external_id")
    rows: list[up.Row] = []
    for index, item in enumerate(items):
        pid = check.participant(directory, index, item, "participant", item.participant)
        check.add_all(index, item, rules.activity_problems(item))
        rows.append(
            {
                "external_id": item.external_id,
                "participant_id": pid,
                "type": item.type,
                "occurred_at": item.occurred_at.astimezone(dt.UTC),
                "quantity": item.quantity,
                "attributes": item.attributes,
            }
        )
    check.raise_if_any()
    return await up.upsert(conn, ACTIVITIES, rows)


async def _plan_assignments(
    conn: asyncpg.Connection, items: list[PlanAssignmentItem], check: _Check, by_person: bool
) -> up.Outcome:
    directory = await Directory.load(conn, [i.participant for i in items if i.participant])
    known_teams = {
        r["external_id"]: r["id"]
        for r in await conn.fetch(
            "SELECT id, external_id FROM teams WHERE external_id = ANY($1::text[])",
            [i.team for i in items if i.team],
        )
    }
    rows: list[up.Row] = []
    for index, item in enumerate(items):
        pid = tid = None
        if (item.participant is None) == (item.team is None):
            check.add(index, item, "participant", "name exactly one of participant or team")
        elif item.participant is not None:
            pid = check.participant(directory, index, item, "participant", item.participant)
        elif item.team is not None:
            tid = known_teams.get(item.team)
            if tid is None:
                check.add(index, item, "team", f"unknown team {item.team!r}")
        if item.valid_to is not None and item.valid_to < item.valid_from:
            check.add(index, item, "valid_to", "is before valid_from")
        target = _money(
            check, index, item, item.target_incentive, item.currency, field="target_incentive"
        )
        subject = f"participant:{item.participant}" if item.participant else f"team:{item.team}"
        rows.append(
            {
                "subject": subject,
                "plan_key": item.plan,
                "valid_from": item.valid_from,
                "participant_id": pid,
                "team_id": tid,
                "valid_to": item.valid_to,
                "target_incentive_minor": target,
                "currency": item.currency,
            }
        )
    check.duplicates(
        [(r["subject"], r["plan_key"], r["valid_from"]) for r in rows], items, "valid_from"
    )
    check.raise_if_any()
    stored = await conn.fetch(
        "SELECT subject, plan_key, valid_from, valid_to FROM plan_assignments"
        " WHERE subject = ANY($1::text[])",
        sorted({r["subject"] for r in rows}),
    )
    _check_overlaps(
        check,
        items,
        [((r["subject"], r["plan_key"]), r["valid_from"], r["valid_to"]) for r in rows],
        [((r["subject"], r["plan_key"]), r["valid_from"], r["valid_to"]) for r in stored],
        "plan assignment",
    )
    return await up.upsert(conn, PLAN_ASSIGNMENTS, rows)


async def _quotas(
    conn: asyncpg.Connection, items: list[QuotaItem], check: _Check, by_person: bool
) -> up.Outcome:
    directory = await Directory.load(conn, [i.participant for i in items])
    rows: list[up.Row] = []
    for index, item in enumerate(items):
        pid = check.participant(directory, index, item, "participant", item.participant)
        check.add_all(index, item, rules.quota_problems(item))
        rows.append(
            {
                "participant_id": pid,
                "period": item.period,
                "measure": item.measure,
                "amount": item.amount,
            }
        )
    check.duplicates([(i.participant, i.period, i.measure) for i in items], items, "measure")
    check.raise_if_any()
    return await up.upsert(conn, QUOTAS, rows)


async def _fx_rates(
    conn: asyncpg.Connection, items: list[FxRateItem], check: _Check, by_person: bool
) -> up.Outcome:
    for index, item in enumerate(items):
        check.add_all(index, item, rules.fx_rate_problems(item))
    check.duplicates([(i.currency, i.to_currency, i.date) for i in items], items, "date")
    check.raise_if_any()
    rows = [
        {"currency": i.currency, "to_currency": i.to_currency, "on_date": i.date, "rate": i.rate}
        for i in items
    ]
    return await up.upsert(conn, FX_RATES, rows)


Handler = Callable[[asyncpg.Connection, Any, _Check, bool], Awaitable[up.Outcome]]
# Each kind: the table it lands in and the handler that validates and applies a batch.
_KINDS: dict[str, tuple[up.TableSpec, Handler]] = {
    "participants": (PARTICIPANTS, _participants),
    "assignments": (ASSIGNMENTS, _assignments),
    "deals": (DEALS, _deals),
    "activities": (ACTIVITIES, _activities),
    "plan_assignments": (PLAN_ASSIGNMENTS, _plan_assignments),
    "quotas": (QUOTAS, _quotas),
    "fx_rates": (FX_RATES, _fx_rates),
}


def _key_text(spec: up.TableSpec, row: up.Row) -> str:
    return "/".join(str(row[c]) for c in spec.key)


async def ingest(
    conn: asyncpg.Connection,
    kind: str,
    raw_items: list[Any],
    actor: audit.Actor,
    *,
    by_person: bool = False,
    touched: Touched | None = None,
    plans_in_force: PlansInForce | None = None,
    locked: bool = False,
) -> IngestResult:
    """Validate and apply one batch of ``kind`` in the caller's transaction, holding the
    kind's lock until it ends (``locked``: the caller holds it, see ``ingest.locks``).

    Raises BatchRejected (naming every bad item and field) before writing anything.
    ``by_person`` lets participant references match an e-mail or a unique name too.
    ``touched`` collects whose pay the batch may change, and when (see ``Touched``).
    With ``plans_in_force``, deals and activities are checked against the plans in force
    on their dates and the result carries warnings (see ``ingest.warnings``).
    """
    items, problems = convert_items(raw_items, KINDS[kind])
    if problems:
        raise BatchRejected(problems)
    if not locked:
        await locks.for_transaction(conn, kind)
    check = _Check()
    spec, handler = _KINDS[kind]
    try:
        outcome = await handler(conn, items, check, by_person)
    except asyncpg.UniqueViolationError:
        raise locks.KeysBusy(kind) from None
    result = IngestResult(
        kind=kind,
        created=len(outcome.created),
        updated=len(outcome.updated),
        unchanged=outcome.unchanged,
    )
    if outcome.created or outcome.updated:
        result.audit_id = await audit.record(
            conn,
            actor,
            "ingest",
            kind,
            before={_key_text(spec, old): old for _, old, _ in outcome.updated},
            after={
                "created": [_key_text(spec, row) for _, row in outcome.created],
                "updated": {_key_text(spec, new): new for _, _, new in outcome.updated},
                "unchanged": outcome.unchanged,
            },
        )
    if plans_in_force is not None:
        result.warnings = await batch_warnings(conn, items, plans_in_force)
    if kind == "deals":
        result.warnings += await rate_warnings(conn, [i for i in items if isinstance(i, DealItem)])
    if kind == "deals":
        await record_deal_history(conn, outcome, result.audit_id)
    if touched is not None:
        await touched.note(conn, kind, outcome)
    metrics.ingested(kind, result.created, result.updated, result.unchanged)
    return result
