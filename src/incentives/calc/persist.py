"""Replacing a scope's results in one transaction: readers see the old or the new, never a mix."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import asyncpg
import msgspec

from incentives.calc.load import Loaded
from incentives.engine.results import Evaluation, Result


class Written(msgspec.Struct):
    """Rows a run wrote."""

    results: int = 0
    lines: int = 0
    credits: int = 0

    def add(self, other: Written) -> None:
        """Accumulate another plan's counts."""
        self.results += other.results
        self.lines += other.lines
        self.credits += other.credits


def _plain(value: object) -> object:
    # Plan value types (percentages) are Decimal subclasses: stored as their decimal text.
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__}")


_ENCODER = msgspec.json.Encoder(enc_hook=_plain)


def _json(value: object) -> str:
    return _ENCODER.encode(value).decode()


async def replace_results(
    conn: asyncpg.Connection,
    *,
    run_id: int,
    plan_version_id: int,
    loaded: Loaded,
    evaluation: Evaluation,
    periods: Sequence[str],
    scope: set[int] | None,
    keep: list[Result],
) -> Written:
    """Delete the scope's results of this plan and periods, then write ``keep`` instead."""
    plan_key = evaluation.plan_key
    clause = "plan_key = $1 AND period = ANY($2::text[])"
    args: list[object] = [plan_key, list(periods)]
    if scope is not None:
        clause += " AND participant_id = ANY($3::bigint[])"
        args.append(sorted(scope))
    for table in ("credits", "earning_lines", "participant_results"):
        await conn.execute(f"DELETE FROM {table} WHERE {clause}", *args)

    written = Written()
    result_rows: list[tuple[object, ...]] = []
    line_rows: list[tuple[object, ...]] = []
    credit_rows: list[tuple[object, ...]] = []
    for result in keep:
        pid = loaded.db_id(result.participant_id)
        result_rows.append(
            (
                pid,
                plan_key,
                result.period,
                plan_version_id,
                run_id,
                result.currency,
                result.total,
                _json(result.measures),
                _json(result.notes),
            )
        )
        for number, line in enumerate(result.lines, start=1):
            line_rows.append(
                (
                    pid,
                    plan_key,
                    result.period,
                    number,
                    line.component,
                    line.name,
                    line.amount,
                    line.currency,
                    _json(line.trace),
                    run_id,
                )
            )
        # One row per deal and source; a deal credited twice the same way adds up.
        credited: dict[tuple[int, str], tuple[str | None, Decimal, Decimal]] = {}
        for credit in evaluation.credits(result.participant_id, result.period):
            key = (int(credit.deal_id), credit.source)
            _, share, amount = credited.get(key, (None, Decimal(0), Decimal(0)))
            credited[key] = (credit.via, share + credit.share, amount + credit.amount)
        credit_rows.extend(
            (pid, plan_key, result.period, deal, source, via, share, amount, run_id)
            for (deal, source), (via, share, amount) in credited.items()
        )
    await conn.copy_records_to_table(
        "participant_results",
        records=result_rows,
        columns=[
            "participant_id",
            "plan_key",
            "period",
            "plan_version_id",
            "run_id",
            "currency",
            "total_minor",
            "measures",
            "notes",
        ],
    )
    await conn.copy_records_to_table(
        "earning_lines",
        records=line_rows,
        columns=[
            "participant_id",
            "plan_key",
            "period",
            "line_no",
            "component",
            "name",
            "amount_minor",
            "currency",
            "trace",
            "run_id",
        ],
    )
    await conn.copy_records_to_table(
        "credits",
        records=credit_rows,
        columns=[
            "participant_id",
            "plan_key",
            "period",
            "deal_id",
            "source",
            "via",
            "share",
            "amount",
            "run_id",
        ],
    )
    written.results, written.lines, written.credits = (
        len(result_rows),
        len(line_rows),
        len(credit_rows),
    )
    return written
