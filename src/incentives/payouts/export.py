"""Payroll export: a period's approved payouts as CSV, one row per statement.

Columns: ``employee_id``, ``name``, ``period``, ``currency``, ``amount`` (the statement's
total), then one column per kind of pay (``earning``, ``adjustment``, ``draw``,
``recovery``, ``clawback``, ``spiff``: the sum of the statement's lines of that kind, so
they add up to ``amount``), then ``statement_id``. A statement's first export is recorded
(``exported_at``): only exported statements can be marked paid, so nothing is marked paid
that was not in a payroll file.
"""

from __future__ import annotations

import csv
from typing import TextIO

import asyncpg

from incentives.audit import log as audit
from incentives.db.models import STATEMENT_LINE_KINDS
from incentives.engine.money import format_minor
from incentives.payouts.cells import text_cell
from incentives.payouts.workflow import NotFound

EXPORTABLE = ("approved", "paid")
COLUMNS = ("employee_id", "name", "period", "currency", "amount", *STATEMENT_LINE_KINDS)

_ROWS = (
    "SELECT s.id, s.version, p.external_id, p.name, s.period, s.currency, s.total_minor, "
    + ", ".join(
        f"coalesce(sum(l.amount_minor) FILTER (WHERE l.kind = '{kind}'), 0)::bigint AS {kind}"
        for kind in STATEMENT_LINE_KINDS
    )
    + " FROM statements s JOIN participants p ON p.id = s.participant_id"
    " LEFT JOIN statement_lines l ON l.statement_id = s.id"
    " WHERE s.period = $1 AND s.status = $2"
    " GROUP BY s.id, p.external_id, p.name ORDER BY p.external_id, s.currency"
)


async def export(
    conn: asyncpg.Connection, period: str, status: str, actor: audit.Actor, out: TextIO
) -> list[int]:
    """Write the period's statements in ``status`` to ``out`` as CSV; the ids written.

    Statements exported for the first time get ``exported_at``, with an audit entry each,
    in the caller's transaction.
    """
    if status not in EXPORTABLE:
        raise ValueError(f"status must be one of {', '.join(EXPORTABLE)}, not {status!r}")
    if await conn.fetchval("SELECT 1 FROM periods WHERE label = $1", period) is None:
        raise NotFound(f"no period {period!r}")
    rows = await conn.fetch(_ROWS, period, status)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow((*COLUMNS, "statement_id"))
    for r in rows:
        currency = r["currency"]
        writer.writerow(
            (
                text_cell(r["external_id"]),
                text_cell(r["name"]),
                r["period"],
                currency,
                format_minor(r["total_minor"], currency),
                *(format_minor(r[kind], currency) for kind in STATEMENT_LINE_KINDS),
                r["id"],
            )
        )
    ids = [r["id"] for r in rows]
    first = await conn.fetch(
        "UPDATE statements SET exported_at = now(), version = version + 1"
        " WHERE id = ANY($1::bigint[]) AND exported_at IS NULL"
        " RETURNING id, version, exported_at",
        ids,
    )
    await audit.record_many(
        conn,
        actor,
        "export",
        "statement",
        [
            (
                str(r["id"]),
                {"exported_at": None, "version": r["version"] - 1},
                {"exported_at": r["exported_at"], "version": r["version"]},
            )
            for r in first
        ],
    )
    return ids
