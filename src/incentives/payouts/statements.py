"""Statements: per participant, closed period and currency, every line it pays, frozen.

A statement is made when its period closes, from the period's earning lines (every plan
whose period it is): earnings, prior-period adjustments, draws and their recoveries,
clawbacks, SPIFFs; then the manual adjustments (accepted disputes) made to land in the
period, and the contests' cash prizes placed in it (as SPIFF lines). Its total is the sum
of its lines. It reads as JSON, CSV or a printable HTML page.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from incentives.calc.traces import TracedBy, line_trace
from incentives.db.paging import fetch_page
from incentives.engine.explain import money
from incentives.engine.money import format_minor
from incentives.engine.results import LineKind
from incentives.formats import CurrencyCode, Money
from incentives.instants import Instant, sql_instant
from incentives.payouts.cells import text_cell

# A statement line's kind (STATEMENT_LINE_KINDS), by the trace kind of the line it freezes.
STATEMENT_KIND: dict[LineKind, str] = {
    LineKind.RATE: "earning",
    LineKind.TIERED: "earning",
    LineKind.BONUS: "earning",
    LineKind.SPIFF: "spiff",
    LineKind.PLAN_CAP: "earning",
    LineKind.CLAWBACK: "clawback",
    LineKind.DRAW: "draw",
    LineKind.DRAW_RECOVERY: "recovery",
    LineKind.ADJUSTMENT: "adjustment",
    LineKind.MANUAL_ADJUSTMENT: "adjustment",
    LineKind.CONTEST_PRIZE: "spiff",
}
# The same, as the JSON the statements' SQL looks a trace's kind up in ($2).
_KIND_JSON = msgspec.json.encode(STATEMENT_KIND).decode()

# What a period pays: its earning lines, and manual adjustments (accepted disputes) that
# were made to land in it and no statement has taken up yet.
_CREATE = """
INSERT INTO statements (participant_id, period, currency, total_minor)
SELECT participant_id, period, currency, sum(amount_minor)
FROM (
    SELECT participant_id, period, currency, amount_minor FROM earning_lines WHERE period = $1
    UNION ALL
    SELECT participant_id, period, currency, amount_minor FROM manual_adjustments
    WHERE period = $1 AND statement_id IS NULL
    UNION ALL
    SELECT participant_id, period, currency, amount_minor FROM prize_payouts
    WHERE period = $1 AND statement_id IS NULL
) pay
GROUP BY participant_id, period, currency
ORDER BY participant_id, currency
"""

_CREATE_LINES = """
INSERT INTO statement_lines (statement_id, line_no, kind, plan_key, component, name,
                             amount_minor, currency, trace)
SELECT s.id,
       row_number() OVER (PARTITION BY s.id ORDER BY l.plan_key, l.line_no),
       $2::text::jsonb ->> (l.trace->>'kind'), l.plan_key, l.component, l.name, l.amount_minor,
       l.currency, l.trace
FROM earning_lines l
JOIN statements s ON s.participant_id = l.participant_id AND s.period = l.period
    AND s.currency = l.currency
WHERE l.period = $1
"""

# Manual adjustments follow the earning lines, and record the statement that paid them.
_CREATE_MANUAL_LINES = f"""
INSERT INTO statement_lines (statement_id, line_no, kind, plan_key, component, name,
                             amount_minor, currency, trace)
SELECT s.id,
       coalesce((SELECT max(x.line_no) FROM statement_lines x WHERE x.statement_id = s.id), 0)
           + row_number() OVER (PARTITION BY s.id ORDER BY m.id),
       '{STATEMENT_KIND[LineKind.MANUAL_ADJUSTMENT]}', NULL, 'manual',
       left('Adjustment: ' || m.reason, 300), m.amount_minor, m.currency,
       jsonb_build_object('kind', '{LineKind.MANUAL_ADJUSTMENT}', 'manual_adjustment', m.id,
                          'dispute', m.dispute_id, 'note', m.reason)
FROM manual_adjustments m
JOIN statements s ON s.participant_id = m.participant_id AND s.period = m.period
    AND s.currency = m.currency
WHERE m.period = $1 AND m.statement_id IS NULL
"""

_TAKE_UP_MANUAL = """
UPDATE manual_adjustments m SET statement_id = s.id
FROM statements s
WHERE s.participant_id = m.participant_id AND s.period = m.period AND s.currency = m.currency
  AND m.period = $1 AND m.statement_id IS NULL
"""


# Contest cash prizes placed in the period follow as SPIFF lines (traced as contest prizes),
# and record the statement.
_CREATE_PRIZE_LINES = f"""
INSERT INTO statement_lines (statement_id, line_no, kind, plan_key, component, name,
                             amount_minor, currency, trace)
SELECT s.id,
       coalesce((SELECT max(x.line_no) FROM statement_lines x WHERE x.statement_id = s.id), 0)
           + row_number() OVER (PARTITION BY s.id ORDER BY z.id),
       '{STATEMENT_KIND[LineKind.CONTEST_PRIZE]}', NULL, left('contest:' || c.key, 100), z.name,
       z.amount_minor, z.currency,
       jsonb_build_object('kind', '{LineKind.CONTEST_PRIZE}', 'contest', c.key, 'rank', z.rank,
                          'prize_payout', z.id, 'note', z.name)
FROM prize_payouts z
JOIN contests c ON c.id = z.contest_id
JOIN statements s ON s.participant_id = z.participant_id AND s.period = z.period
    AND s.currency = z.currency
WHERE z.period = $1 AND z.statement_id IS NULL
"""

_TAKE_UP_PRIZES = """
UPDATE prize_payouts z SET statement_id = s.id
FROM statements s
WHERE s.participant_id = z.participant_id AND s.period = z.period AND s.currency = z.currency
  AND z.period = $1 AND z.statement_id IS NULL
"""


class Created(msgspec.Struct):
    """Statements a close created: how many, and their total per currency."""

    statements: int
    totals: dict[str, str]


async def create_statements(conn: asyncpg.Connection, period: str) -> Created:
    """Freeze the period's earning lines into draft statements (in the caller's transaction)."""
    await conn.execute(_CREATE, period)
    # The kind of each statement line is looked up from its trace's, as STATEMENT_KIND says.
    await conn.execute(_CREATE_LINES, period, _KIND_JSON)
    for statement in (
        _CREATE_MANUAL_LINES,
        _TAKE_UP_MANUAL,
        _CREATE_PRIZE_LINES,
        _TAKE_UP_PRIZES,
    ):
        await conn.execute(statement, period)
    rows = await conn.fetch(
        "SELECT currency, count(*) AS n, sum(total_minor)::bigint AS total FROM statements"
        " WHERE period = $1 GROUP BY currency ORDER BY currency",
        period,
    )
    return Created(
        statements=sum(r["n"] for r in rows),
        totals={r["currency"]: format_minor(r["total"], r["currency"]) for r in rows},
    )


class StatementLine(msgspec.Struct):
    """One line of a statement, with the trace of how it was computed."""

    line_no: int
    kind: str
    plan: str | None
    component: str
    name: str
    amount: Money
    currency: CurrencyCode
    trace: TracedBy


class StatementSummary(msgspec.Struct, kw_only=True):
    """A statement without its lines: whose, which period, how much, where it stands."""

    id: int
    participant: str
    participant_name: str
    period: str
    currency: CurrencyCode
    total: Money
    status: str
    version: int
    created_at: Instant
    submitted_at: Instant | None = None
    approved_at: Instant | None = None
    exported_at: Instant | None = None
    paid_at: Instant | None = None
    rejected_reason: str | None = None


class Statement(StatementSummary, kw_only=True):
    """A statement with every line and the subtotal of each kind of line."""

    period_start: str
    period_end: str
    subtotals: dict[str, Money]
    lines: list[StatementLine]


_COLUMNS = (
    "SELECT s.id, p.external_id AS participant, p.name AS participant_name, s.period,"
    " s.currency, s.total_minor, s.status, s.version, s.rejected_reason, s.participant_id,"
    " q.start_date, q.end_date, "
    + ", ".join(
        sql_instant(f"s.{c}")
        for c in ("created_at", "submitted_at", "approved_at", "exported_at", "paid_at")
    )
)
_FROM = (
    " FROM statements s JOIN participants p ON p.id = s.participant_id"
    " JOIN periods q ON q.label = s.period"
)


def _summary_fields(row: asyncpg.Record) -> dict[str, Any]:
    fields = {f: row[f] for f in StatementSummary.__struct_fields__ if f != "total"}
    fields["total"] = format_minor(row["total_minor"], row["currency"])
    return fields


async def list_statements(
    conn: asyncpg.Connection,
    *,
    visible: set[int] | None,
    period: str | None = None,
    participant: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[StatementSummary], int]:
    """A page of the statements the caller may see (``visible`` participant ids; None:
    all), newest first, and how many there are in all."""
    rows, total = await fetch_page(
        conn,
        _COLUMNS
        + ", count(*) OVER () AS total"
        + _FROM
        + " WHERE ($1::bigint[] IS NULL OR s.participant_id = ANY($1::bigint[]))"
        " AND ($2::text IS NULL OR s.period = $2) AND ($3::text IS NULL OR p.external_id = $3)"
        " AND ($4::text IS NULL OR s.status = $4)"
        " ORDER BY q.end_date DESC, q.start_date DESC, p.name, s.currency LIMIT $5 OFFSET $6",
        None if visible is None else sorted(visible),
        period,
        participant,
        status,
        limit,
        offset,
    )
    return [StatementSummary(**_summary_fields(r)) for r in rows], total


async def get_statement(
    conn: asyncpg.Connection, statement_id: int, *, visible: set[int] | None
) -> Statement | None:
    """One statement with its lines, or None if there is none the caller may see."""
    head = await conn.fetchrow(_COLUMNS + _FROM + " WHERE s.id = $1", statement_id)
    if head is None or (visible is not None and head["participant_id"] not in visible):
        return None
    rows = await conn.fetch(
        "SELECT line_no, kind, plan_key, component, name, amount_minor, currency, trace"
        " FROM statement_lines WHERE statement_id = $1 ORDER BY line_no",
        statement_id,
    )
    subtotals: dict[str, int] = {}
    for r in rows:
        subtotals[r["kind"]] = subtotals.get(r["kind"], 0) + r["amount_minor"]
    currency = head["currency"]
    return Statement(
        **_summary_fields(head),
        period_start=head["start_date"].isoformat(),
        period_end=head["end_date"].isoformat(),
        subtotals={k: format_minor(v, currency) for k, v in subtotals.items()},
        lines=[
            StatementLine(
                line_no=r["line_no"],
                kind=r["kind"],
                plan=r["plan_key"],
                component=r["component"],
                name=r["name"],
                amount=format_minor(r["amount_minor"], r["currency"]),
                currency=r["currency"],
                trace=line_trace(r["trace"]),
            )
            for r in rows
        ],
    )


CSV_COLUMNS = (
    "statement",
    "participant",
    "participant_name",
    "period",
    "line_no",
    "kind",
    "plan",
    "component",
    "name",
    "amount",
    "currency",
)


def to_csv(statement: Statement) -> str:
    """The statement as CSV: a row per line, then its total."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    head = [
        statement.id,
        text_cell(statement.participant),
        text_cell(statement.participant_name),
        statement.period,
    ]
    for line in statement.lines:
        writer.writerow(
            [
                *head,
                line.line_no,
                line.kind,
                text_cell(line.plan or ""),
                text_cell(line.component),
                text_cell(line.name),
                line.amount,
                line.currency,
            ]
        )
    writer.writerow(
        [*head, "", "total", "", "", "Total payable", statement.total, statement.currency]
    )
    return out.getvalue()


_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 52em; color: #111; }
h1 { font-size: 1.4em; margin-bottom: .2em; }
table { border-collapse: collapse; width: 100%; margin-top: 1em; }
th, td { padding: .35em .5em; border-bottom: 1px solid #ccc; text-align: left; }
td.amount, th.amount { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: bold; border-top: 2px solid #111; border-bottom: none; }
.note { color: #555; font-size: .9em; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2em 1em; }
dt { color: #555; }
@media print { body { margin: 0; max-width: none; } }
"""
# The printable page's Content-Security-Policy: its own style sheet, by its digest, and
# nothing else.
HTML_POLICY = (
    "default-src 'none'; style-src 'sha256-"
    + base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
    + "'; frame-ancestors 'none'"
)


def to_html(statement: Statement) -> str:
    """The statement as a self-contained printable page."""
    e = html.escape
    currency = statement.currency

    def shown(amount: str) -> str:
        return e(money(Decimal(amount), currency))

    rows = []
    for line in statement.lines:
        note = getattr(line.trace, "note", "")
        rows.append(
            f"<tr><td>{line.line_no}</td><td>{e(line.kind)}</td>"
            f"<td>{e(line.name)}<div class=note>{e(line.plan or '')}"
            f"{' · ' + e(note) if note else ''}</div></td>"
            f"<td class=amount>{shown(line.amount)}</td></tr>"
        )
    subtotals = "".join(
        f"<tr><td></td><td>{e(kind)}</td><td>Subtotal</td>"
        f"<td class=amount>{shown(amount)}</td></tr>"
        for kind, amount in sorted(statement.subtotals.items())
    )
    title = f"Statement {statement.id}: {statement.participant_name}, {statement.period}"
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{e(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{e(title)}</h1><dl>"
        f"<dt>Participant</dt><dd>{e(statement.participant_name)}"
        f" ({e(statement.participant)})</dd>"
        f"<dt>Period</dt><dd>{e(statement.period)}: {e(statement.period_start)}"
        f" to {e(statement.period_end)}</dd>"
        f"<dt>Status</dt><dd>{e(statement.status)}</dd>"
        f"<dt>Currency</dt><dd>{e(currency)}</dd>"
        f"<dt>Issued</dt><dd>{e(statement.created_at)}</dd></dl>"
        "<table><thead><tr><th>#</th><th>Kind</th><th>Line</th>"
        "<th class=amount>Amount</th></tr></thead><tbody>"
        + "".join(rows)
        + subtotals
        + f"<tr class=total><td></td><td></td><td>Total payable</td>"
        f"<td class=amount>{shown(statement.total)}</td></tr>"
        "</tbody></table></body></html>"
    )
