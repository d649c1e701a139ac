"""Replacing a scope's results in one transaction: readers see the old or the new, never a mix."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import asyncpg
import msgspec
import numpy as np

from incentives.calc.bulk import copy_int_columns
from incentives.calc.load import Loaded
from incentives.engine.money import exponent
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
    written.results, written.lines = len(result_rows), len(line_rows)
    written.credits = await _write_credits(conn, run_id, loaded, evaluation, keep)
    return written


_CREDIT_STAGE = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS credit_stage (participant_id bigint, period bigint,"
    " deal_id bigint, source bigint, via_id bigint, share bigint, payout_minor bigint)"
    " ON COMMIT DROP"
)


async def _write_credits(
    conn: asyncpg.Connection,
    run_id: int,
    loaded: Loaded,
    evaluation: Evaluation,
    keep: list[Result],
) -> int:
    """The kept participant-periods' deal credits, staged as integers and written in SQL.

    Millions of credit rows go through numpy and binary COPY, never a Python object per
    row; the database turns codes back into labels and integers into exact decimals.
    """
    rows = evaluation.credit_rows()
    width = len(rows.periods)
    people = loaded.inputs.participants.index
    period_of = {label: k for k, label in enumerate(rows.periods)}
    wanted = np.array(
        sorted(people[r.participant_id] * width + period_of[r.period] for r in keep),
        dtype=np.int64,
    )
    key = rows.participant.astype(np.int64) * width + rows.period
    mask = np.isin(key, wanted) & (rows.period >= 0)
    db_ids = np.asarray(loaded.participant_db_ids, dtype=np.int64)
    via = rows.via[mask]
    deal_ids = np.asarray(loaded.inputs.deals.ids, dtype=np.int64)
    await conn.execute(_CREDIT_STAGE)
    await conn.execute("TRUNCATE credit_stage")
    await copy_int_columns(
        conn,
        "credit_stage",
        ["participant_id", "period", "deal_id", "source", "via_id", "share", "payout_minor"],
        [
            db_ids[rows.participant[mask]],
            rows.period[mask],
            deal_ids[rows.deal[mask]],
            rows.source[mask].astype(np.int64),
            np.where(via >= 0, db_ids[np.maximum(via, 0)], 0),
            rows.share[mask],
            rows.payout_minor[mask],
        ],
    )
    # share: millionths of the deal; amount: payout minor units times that share. Both
    # divisions are by powers of ten, so rounding to their exact number of places is exact.
    places = exponent(evaluation.currency)
    result = await conn.execute(
        "INSERT INTO credits (participant_id, plan_key, period, deal_id, source, via_id, share,"
        " amount, run_id) SELECT s.participant_id, $1, ($2::text[])[s.period + 1], s.deal_id,"
        " ($3::text[])[s.source + 1], s.via_id, round(s.share::numeric / 1000000, 6),"
        " round(s.payout_minor::numeric * s.share / $4::numeric, $5), $6 FROM credit_stage s",
        evaluation.plan_key,
        list(rows.periods),
        list(rows.sources),
        Decimal(1_000_000) * Decimal(10) ** places,
        6 + places,
        run_id,
    )
    return int(result.split()[-1])
