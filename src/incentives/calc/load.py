"""Loading a plan's inputs from PostgreSQL into the engine's columnar tables.

Large tables (deals, splits, activities) come through binary COPY into numpy; text
columns arrive as codes into sorted labels, computed by the database. Who is paid under
the plan, and from when to when, comes from plan assignments (a team's assignment
covers its members while they are in it); everyone else is loaded too, because their
deals roll up to managers, but gets no result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec
import numpy as np
import numpy.typing as npt

from incentives.calc.columns import int_columns
from incentives.engine.conditions import is_attribute
from incentives.engine.coverage import Cover, paid_span
from incentives.engine.money import to_minor
from incentives.engine.plan import CommissionPlan, Condition, Measure
from incentives.engine.tables import (
    OPEN_END,
    ActivityTable,
    AssignmentTable,
    Categories,
    DealTable,
    Inputs,
    ParticipantTable,
    SplitTable,
)

# Day numbers as the engine counts them (date.toordinal) computed by PostgreSQL.
_ORDINAL = "(({col}) - DATE '0001-01-01' + 1)"
_PERCENT_SCALE = 10_000  # split percents arrive with four decimals


@dataclass
class Loaded:
    """Engine inputs plus what maps their rows back to the database."""

    inputs: Inputs
    participant_db_ids: list[int]

    def db_id(self, participant_key: str) -> int:
        """The database id of a participant named by its external id."""
        return self.participant_db_ids[self.inputs.participants.index[participant_key]]

    @property
    def covers(self) -> dict[int, Sequence[Cover]]:
        """Who the plan pays and when, by participant database id."""
        return {self.participant_db_ids[row]: c for row, c in self.inputs.covers.items()}


def attribute_fields(plan: CommissionPlan, source: str) -> list[str]:
    """Free attributes of ``source`` (deals or activities) the plan's conditions mention.

    A measure's conditions test what the measure counts; every other condition (deal
    rates, spiffs) tests deals.
    """

    def walk(value: Any, tested: str) -> Iterator[tuple[str, Condition]]:
        if isinstance(value, Measure):
            tested = value.source
        if isinstance(value, Condition):
            yield tested, value
        if isinstance(value, msgspec.Struct):
            for name in value.__struct_fields__:
                yield from walk(getattr(value, name), tested)
        elif isinstance(value, list | tuple):
            for item in value:
                yield from walk(item, tested)

    return sorted(
        {
            condition.field
            for tested, condition in walk(plan, "deals")
            if tested == source and condition.field and is_attribute(source, condition.field)
        }
    )


async def _covers(
    conn: asyncpg.Connection, plan: CommissionPlan, people: list[int] | None
) -> dict[int, list[Cover]]:
    """Who the plan pays and when (everyone, or only ``people``)."""
    # Only ``people``'s own and their teams' assignments, found through their indexes
    # first (a union the planner cannot fold into a scan of the plan's every assignment).
    source, scoped = "plan_assignments", ""
    if people is not None:
        source = (
            "(SELECT * FROM plan_assignments WHERE participant_id = ANY($4::bigint[])"
            " UNION SELECT o.* FROM plan_assignments o JOIN assignments t"
            " ON t.team_id = o.team_id WHERE t.participant_id = ANY($4::bigint[]))"
        )
        scoped = "AND coalesce(pa.participant_id, a.participant_id) = ANY($4::bigint[])"
    rows = await conn.fetch(
        f"""
        SELECT coalesce(pa.participant_id, a.participant_id) AS participant_id,
               greatest(pa.valid_from, coalesce(a.valid_from, pa.valid_from)) AS start,
               CASE WHEN pa.valid_to IS NULL THEN a.valid_to
                    WHEN a.valid_to IS NULL THEN pa.valid_to
                    ELSE least(pa.valid_to, a.valid_to) END AS end,
               pa.target_incentive_minor
        FROM {source} pa
        LEFT JOIN assignments a ON a.team_id = pa.team_id
            AND a.valid_from <= coalesce(pa.valid_to, DATE '9999-12-31')
            AND coalesce(a.valid_to, DATE '9999-12-31') >= pa.valid_from
        WHERE pa.plan_key = $1 AND pa.valid_from <= $3
          AND coalesce(pa.valid_to, DATE '9999-12-31') >= $2
          AND (pa.participant_id IS NOT NULL OR a.participant_id IS NOT NULL) {scoped}
        ORDER BY 1, 2
        """,
        plan.key,
        plan.effective.from_,
        plan.effective.to,
        *([] if people is None else [people]),
    )
    covers: dict[int, list[Cover]] = {}
    for r in rows:
        covers.setdefault(r["participant_id"], []).append(
            Cover(r["start"], r["end"], r["target_incentive_minor"])
        )
    return covers


def _attributes_sql(alias: str, names: list[str], args: list[Any]) -> tuple[list[str], list[Any]]:
    """SQL reading each named free attribute of ``alias`` as text ('' when absent), and the
    query arguments with the names added. Attribute names come from the plan file: they
    travel as a parameter, never as SQL."""
    if not names:
        return [], args
    at = len(args) + 1
    sql = [
        f"coalesce({alias}.attributes->>(${at}::text[])[{i + 1}], '')" for i in range(len(names))
    ]
    return sql, [*args, names]


async def _text_codes(
    conn: asyncpg.Connection, table: str, where: str, args: list[Any], columns: list[str]
) -> tuple[list[tuple[str, ...]], list[str], list[Any]]:
    """Text columns as codes: each column's sorted distinct labels over the rows of ``table``
    that ``where`` selects (one pass), SQL giving a row's code into them, and the query
    arguments that SQL needs (``args`` followed by the labels)."""
    distinct = ", ".join(f"array_agg(DISTINCT {column})" for column in columns)
    found = await conn.fetchrow(f"SELECT {distinct} FROM {table} WHERE {where}", *args)
    assert found is not None
    labels = [tuple(sorted(values or ())) for values in found]
    first = len(args) + 1
    coded = [
        f"(array_position(${first + i}::text[], {column}) - 1)::bigint"
        for i, column in enumerate(columns)
    ]
    return labels, coded, [*args, *(list(lab) for lab in labels)]


def _categories(codes: npt.NDArray[np.int64], labels: tuple[str, ...]) -> Categories:
    return Categories(codes.astype(np.int32), labels)


async def _lines(conn: asyncpg.Connection, scope: set[int]) -> tuple[list[int], set[int]]:
    """The scope and everyone below them (whose deals can credit the scope), and everyone
    above them, at any time; in one round trip."""
    row = await conn.fetchrow(
        "WITH RECURSIVE line(id) AS (SELECT unnest($1::bigint[]) UNION"
        " SELECT a.participant_id FROM assignments a JOIN line ON a.manager_id = line.id),"
        " up(id) AS (SELECT unnest($1::bigint[]) UNION"
        " SELECT a.manager_id FROM assignments a JOIN up ON a.participant_id = up.id"
        " WHERE a.manager_id IS NOT NULL)"
        " SELECT (SELECT array_agg(id ORDER BY id) FROM line), (SELECT array_agg(id) FROM up)",
        sorted(scope),
    )
    assert row is not None
    return list(row[0] or ()), set(row[1] or ())


async def _people(conn: asyncpg.Connection, wanted: list[int] | None) -> list[asyncpg.Record]:
    """Everyone, or only the wanted people."""
    columns = (
        "SELECT id, external_id, name, coalesce(email, '') AS email, currency,"
        " start_date, end_date FROM participants"
    )
    if wanted is None:
        return await conn.fetch(f"{columns} ORDER BY id")
    return await conn.fetch(f"{columns} WHERE id = ANY($1::bigint[]) ORDER BY id", wanted)


async def load(
    conn: asyncpg.Connection,
    plan: CommissionPlan,
    until: dt.date,
    *,
    since: dt.date | None = None,
    scope: set[int] | None = None,
) -> Loaded:
    """The plan's inputs from its effective start (or ``since``, when later) to ``until``.

    With ``scope`` (participant ids), only the deals and activities that can credit
    those participants (their own and their reporting lines') are read.
    """
    first = plan.effective.from_ if since is None else max(since, plan.effective.from_)
    relevant, above = (None, set()) if scope is None else await _lines(conn, scope)
    deal_scope = await _DealScope.of(conn, plan, first, until, relevant)
    wanted = None
    if relevant is not None:
        # Their lines, the managers above, and whoever else owns or shares a scoped deal.
        wanted = sorted(set(relevant) | above | set(deal_scope.named))
    people = await _people(conn, wanted)
    db_ids = [p["id"] for p in people]
    covers = await _covers(conn, plan, None if scope is None else db_ids)
    row_of = np.full((max(db_ids, default=0) + 1,), -1, dtype=np.int64)
    row_of[db_ids] = np.arange(len(db_ids))

    def span(p: asyncpg.Record) -> tuple[int, int, int]:
        # Paid under the plan only while assigned to it (and employed).
        start, end, target = paid_span(
            p["start_date"] or dt.date.min, p["end_date"], covers.get(p["id"], ())
        )
        return start.toordinal(), OPEN_END if end is None else end.toordinal(), target

    spans = [span(p) for p in people]
    participants = ParticipantTable(
        ids=tuple(p["external_id"] for p in people),
        names=tuple(p["name"] for p in people),
        emails=tuple(p["email"] for p in people),
        currencies=tuple(p["currency"] for p in people),
        start_day=np.array([s[0] for s in spans], dtype=np.int32),
        end_day=np.array([s[1] for s in spans], dtype=np.int32),
        target_incentive=np.array([s[2] for s in spans], dtype=np.int64),
    )

    hierarchy = await conn.fetch(
        "SELECT a.participant_id, a.manager_id, a.valid_from, a.valid_to,"
        " coalesce(t.external_id, '') AS team FROM assignments a"
        " LEFT JOIN teams t ON t.id = a.team_id WHERE a.participant_id = ANY($1::bigint[])"
        " ORDER BY a.participant_id, a.valid_from",
        db_ids,
    )
    assignments = AssignmentTable(
        participant=row_of[[a["participant_id"] for a in hierarchy]].astype(np.int32),
        # A manager outside a scoped load is no one: their rollups are not needed.
        manager=np.array(
            [
                -1
                if a["manager_id"] is None or a["manager_id"] >= len(row_of)
                else row_of[a["manager_id"]]
                for a in hierarchy
            ],
            dtype=np.int32,
        ),
        valid_from=np.array([a["valid_from"].toordinal() for a in hierarchy], dtype=np.int32),
        valid_to=np.array(
            [OPEN_END if a["valid_to"] is None else a["valid_to"].toordinal() for a in hierarchy],
            dtype=np.int32,
        ),
        team=Categories.encode(a["team"] for a in hierarchy),
    )

    money = {m.key for m in plan.measures if m.is_money}
    quotas = {
        (int(row_of[q["participant_id"]]), q["period"], q["measure"]): (
            to_minor(q["amount"], plan.payout_currency)
            if q["measure"] in money
            else int(q["amount"])
        )
        # A scoped load keeps results only for its scope, so only their quotas matter.
        for q in await conn.fetch(
            "SELECT participant_id, period, measure, amount FROM quotas"
            " WHERE measure = ANY($1::text[])"
            " AND ($2::bigint[] IS NULL OR participant_id = ANY($2::bigint[]))",
            [m.key for m in plan.measures],
            None if scope is None else sorted(scope),
        )
    }

    deals = await _deals(conn, plan, deal_scope, row_of)
    splits = await _splits(conn, deal_scope, row_of, deals.ids)
    activities = await _activities(conn, plan, first, until, relevant, row_of)
    rates = tuple(
        sorted(
            (r["currency"], r["on_date"].toordinal(), Decimal(r["rate"]))
            for r in await conn.fetch(
                "SELECT currency, on_date, rate FROM fx_rates WHERE to_currency = $1",
                plan.payout_currency,
            )
        )
    )
    by_row = {int(row_of[pid]): mine for pid, mine in covers.items()}
    inputs = Inputs(participants, assignments, quotas, deals, splits, activities, rates, by_row)
    return Loaded(inputs, db_ids)


@dataclass(frozen=True)
class _DealScope:
    """Which deals a load reads: a WHERE clause over ``deals d`` and its parameters, the
    FROM and WHERE clauses reading their ``deal_splits s``, and (scoped) the people who
    own or share them."""

    where: str
    args: list[Any]
    splits: str
    named: list[int]

    @classmethod
    async def of(
        cls,
        conn: asyncpg.Connection,
        plan: CommissionPlan,
        first: dt.date,
        until: dt.date,
        relevant: list[int] | None,
    ) -> _DealScope:
        """Deals closed from ``first`` to ``until`` (and, under a clawback, those cancelled
        then); with ``relevant``, only those owned or shared by them."""
        # Without a clawback a cancelled deal counts only in its close period.
        where = "d.close_date BETWEEN $1 AND $2"
        if plan.clawback is not None:
            where = (
                f"(({where}) OR (d.status = 'cancelled'"
                " AND coalesce(d.cancel_date, d.updated_at::date) BETWEEN $1 AND $2))"
            )
        if relevant is None:
            splits = f"deal_splits s JOIN deals d ON d.id = s.deal_id WHERE {where}"
            return cls(where, [first, until], splits, [])
        # Found once through the owner and split indexes (not a scan of every deal); the
        # queries that follow read them by primary key.
        found = await conn.fetchrow(_SCOPED_DEALS.format(where=where), first, until, relevant)
        assert found is not None
        splits = "deal_splits s WHERE s.deal_id = ANY($1::bigint[])"
        return cls("d.id = ANY($1::bigint[])", [found[0]], splits, found[1])


# A scope's deals, and the people who own or share them.
_SCOPED_DEALS = """
WITH found AS (
    SELECT d.id, d.owner_id FROM deals d WHERE d.owner_id = ANY($3::bigint[]) AND {where}
    UNION
    SELECT d.id, d.owner_id FROM deal_splits s JOIN deals d ON d.id = s.deal_id
    WHERE s.participant_id = ANY($3::bigint[]) AND {where}
)
SELECT coalesce((SELECT array_agg(id) FROM found), '{{}}'),
       coalesce((SELECT array_agg(p) FROM (
           SELECT owner_id FROM found
           UNION SELECT s.participant_id FROM deal_splits s
           WHERE s.deal_id IN (SELECT id FROM found)) AS named(p)), '{{}}')
"""


async def _deals(
    conn: asyncpg.Connection,
    plan: CommissionPlan,
    scope: _DealScope,
    row_of: npt.NDArray[np.int64],
) -> DealTable:
    attributes = attribute_fields(plan, "deals")
    read_attributes, args = _attributes_sql("d", attributes, scope.args)
    text_columns = ["currency", "status", "coalesce(product, '')", *read_attributes]
    labels, coded, args = await _text_codes(conn, "deals d", scope.where, args, text_columns)
    cancel = "CASE WHEN d.status = 'cancelled' THEN coalesce(d.cancel_date, d.updated_at::date) END"
    query = (
        "SELECT d.id, d.owner_id, d.amount_minor, "
        f"{_ORDINAL.format(col='d.close_date')}::bigint, "
        f"coalesce({_ORDINAL.format(col=cancel)}, 0)::bigint, {', '.join(coded)}"
        f" FROM deals d WHERE {scope.where} ORDER BY d.id"
    )
    cols = await int_columns(conn, query, *args, columns=5 + len(text_columns))
    ids, owner, amount, close_day, cancel_day = cols[:5]
    codes = cols[5:]
    return DealTable(
        ids=ids,
        owner=row_of[owner].astype(np.int32),
        amount=amount,
        currency=_categories(codes[0], labels[0]),
        close_day=close_day.astype(np.int32),
        status=_categories(codes[1], labels[1]),
        product=_categories(codes[2], labels[2]),
        cancel_day=cancel_day.astype(np.int32),
        attributes={
            name: _categories(codes[3 + i], labels[3 + i]) for i, name in enumerate(attributes)
        },
    )


async def _splits(
    conn: asyncpg.Connection,
    scope: _DealScope,
    row_of: npt.NDArray[np.int64],
    deal_ids: npt.NDArray[Any],
) -> SplitTable:
    deal, person, percent = await int_columns(
        conn,
        "SELECT s.deal_id, s.participant_id, (s.percent * 10000)::bigint"
        f" FROM {scope.splits} ORDER BY s.deal_id",
        *scope.args,
        columns=3,
    )
    # Shares in millionths of the deal, as the engine counts them.
    return SplitTable(
        deal=np.searchsorted(deal_ids, deal).astype(np.int64),
        participant=row_of[person].astype(np.int32),
        share=percent * (1_000_000 // (100 * _PERCENT_SCALE)),
    )


async def _activities(
    conn: asyncpg.Connection,
    plan: CommissionPlan,
    first: dt.date,
    until: dt.date,
    relevant: list[int] | None,
    row_of: npt.NDArray[np.int64],
) -> ActivityTable:
    if all(m.source != "activities" for m in plan.measures):  # only activity measures read them
        none, no_days = np.zeros(0, np.int64), np.zeros(0, np.int32)
        return ActivityTable(none, no_days, Categories(no_days, ()), no_days, none)
    where = "a.occurred_at >= $1 AND a.occurred_at < $2::date + 1"
    args: list[Any] = [first, until]
    if relevant is not None:
        where += " AND a.participant_id = ANY($3::bigint[])"
        args.append(relevant)
    attributes = attribute_fields(plan, "activities")
    read_attributes, args = _attributes_sql("a", attributes, args)
    labels, coded, args = await _text_codes(
        conn, "activities a", where, args, ["a.type", *read_attributes]
    )
    # Activities count on the UTC calendar day they happened.
    day_of = _ORDINAL.format(col="(a.occurred_at AT TIME ZONE 'UTC')::date")
    ids, person, day, quantity, *codes = await int_columns(
        conn,
        f"SELECT a.id, a.participant_id, {day_of}::bigint, round(a.quantity)::bigint,"
        f" {', '.join(coded)} FROM activities a WHERE {where} ORDER BY a.id",
        *args,
        columns=4 + len(coded),
    )
    return ActivityTable(
        ids=ids,
        participant=row_of[person].astype(np.int32),
        type=_categories(codes[0], labels[0]),
        day=day.astype(np.int32),
        quantity=quantity,
        attributes={
            name: _categories(codes[1 + i], labels[1 + i]) for i, name in enumerate(attributes)
        },
    )
