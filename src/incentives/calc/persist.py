"""Replacing a scope's results in one transaction: readers see the old or the new, never a mix."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal

import asyncpg
import msgspec
import numpy as np

from incentives.calc.adjustments import Adjustment
from incentives.calc.bulk import ArrayColumn, chunked, copy_binary, int_field, row, text_field
from incentives.calc.load import Loaded
from incentives.calc.unpaid import LISTED, Unpaid
from incentives.engine.money import exponent
from incentives.engine.results import Evaluation, Result


class Written(msgspec.Struct):
    """Rows a run wrote."""

    results: int = 0
    lines: int = 0
    credits: int = 0
    # Prior-period adjustment lines written, and those owed by a plan with no open period.
    adjustments: int = 0
    unplaced_adjustments: int = 0
    # Won deals left unpaid for want of an exchange rate, and the first of them.
    unpaid_deals: int = 0
    unpaid: list[Unpaid] = msgspec.field(default_factory=list)

    def add(self, other: Written) -> None:
        """Accumulate another plan's counts."""
        self.results += other.results
        self.lines += other.lines
        self.credits += other.credits
        self.adjustments += other.adjustments
        self.unplaced_adjustments += other.unplaced_adjustments
        self.unpaid_deals += other.unpaid_deals
        self.unpaid = [*self.unpaid, *other.unpaid][:LISTED]


def _plain(value: object) -> object:
    # Plan value types (percentages) are Decimal subclasses: stored as their decimal text.
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__}")


_ENCODER = msgspec.json.Encoder(enc_hook=_plain)


def _json(value: object) -> str:
    return _ENCODER.encode(value).decode()


# The notes of a result that holds only prior-period adjustments.
_ADJUSTMENTS_ONLY = _json(["Adjustments to closed periods only."])


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
    adjustments: Sequence[Adjustment] = (),
    adjustments_in: str | None = None,
) -> Written:
    """Delete the scope's results of this plan and periods, then write ``keep`` instead,
    with the ``adjustments`` as further lines of the results of period ``adjustments_in``
    (a participant with nothing else in it gets a result holding only them)."""
    plan_key = evaluation.plan_key
    clause = "plan_key = $1 AND period = ANY($2::text[])"
    args: list[object] = [plan_key, list(periods)]
    if scope is not None:
        clause += " AND participant_id = ANY($3::bigint[])"
        args.append(sorted(scope))
    for table in ("credits", "earning_lines", "participant_results"):
        await conn.execute(f"DELETE FROM {table} WHERE {clause}", *args)

    written = Written()
    # Adjustment lines are numbered on from their result's own lines.
    numbered = {
        loaded.db_id(r.participant_id): len(r.lines) for r in keep if r.period == adjustments_in
    }
    owed: dict[int, int] = {}
    adjustment_rows: list[tuple[object, ...]] = []
    for a in adjustments:
        pid = a.participant_id
        numbered[pid] = numbered.get(pid, 0) + 1
        owed[pid] = owed.get(pid, 0) + a.amount
        adjustment_rows.append(
            (
                pid,
                plan_key,
                adjustments_in,
                numbered[pid],
                a.component,
                a.name,
                a.amount,
                evaluation.currency,
                _json(a.trace),
                run_id,
            )
        )
    result_rows: list[tuple[object, ...]] = []
    line_rows: list[tuple[object, ...]] = []
    for result in keep:
        pid = loaded.db_id(result.participant_id)
        total = result.total + (owed.pop(pid, 0) if result.period == adjustments_in else 0)
        result_rows.append(
            (
                pid,
                plan_key,
                result.period,
                plan_version_id,
                run_id,
                result.currency,
                total,
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
    written.results, written.lines = len(result_rows), len(line_rows)
    result_rows += [
        (
            pid,
            plan_key,
            adjustments_in,
            plan_version_id,
            run_id,
            evaluation.currency,
            total,
            "[]",
            _ADJUSTMENTS_ONLY,
        )
        for pid, total in sorted(owed.items())
    ]
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
    await copy_lines(conn, [*line_rows, *adjustment_rows])
    written.adjustments = len(adjustment_rows)
    written.credits = await _write_credits(conn, run_id, loaded, evaluation, keep)
    return written


async def copy_lines(conn: asyncpg.Connection, rows: Sequence[tuple[object, ...]]) -> None:
    """COPY earning lines, given as (participant_id, plan_key, period, line_no, component,
    name, amount_minor, currency, trace JSON text, run_id)."""
    await conn.copy_records_to_table(
        "earning_lines",
        records=rows,
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


# Credit sets per COPY chunk: a few thousand keep a chunk to tens of MiB at most.
_SETS_PER_CHUNK = 2000


async def _write_credits(
    conn: asyncpg.Connection,
    run_id: int,
    loaded: Loaded,
    evaluation: Evaluation,
    keep: list[Result],
) -> int:
    """The kept participant-periods' deal credits, one row of parallel arrays each.

    Millions of credits go from numpy to binary COPY in chunks, never as a Python object
    per credit. Returns the number of credits (array positions) written.
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
    # Stable: within a set, credits keep the engine's (deterministic) order.
    order = np.flatnonzero(np.isin(key, wanted) & (rows.period >= 0))
    order = order[np.argsort(key[order], kind="stable")]
    key = key[order]
    bounds = (
        np.flatnonzero(np.r_[True, key[1:] != key[:-1], True])
        if len(key)
        else np.zeros(1, dtype=np.int64)
    )
    db_ids = np.asarray(loaded.participant_db_ids, dtype=np.int64)
    deal_ids = np.asarray(loaded.inputs.deals.ids, dtype=np.int64)
    places = int_field(exponent(evaluation.currency), ">i2")
    plan, run = text_field(evaluation.plan_key), int_field(run_id)
    periods = [text_field(label) for label in rows.periods]

    def chunks() -> Iterator[bytes]:
        for first, last in chunked(len(bounds) - 1, _SETS_PER_CHUNK):
            picked = order[bounds[first] : bounds[last]]
            via = rows.via[picked]
            columns = [
                ArrayColumn(deal_ids[rows.deal[picked]], ">i8"),
                ArrayColumn(rows.source[picked], ">i2"),
                ArrayColumn(np.where(via >= 0, db_ids[np.maximum(via, 0)], 0), ">i8"),
                ArrayColumn(rows.share[picked], ">i4"),
                ArrayColumn(rows.payout_minor[picked], ">i8"),
            ]
            encoded = []
            for s in range(first, last):
                start, end = bounds[s] - bounds[first], bounds[s + 1] - bounds[first]
                k = int(key[bounds[s]])
                person = int_field(int(db_ids[k // width]))
                fixed = [person, plan, periods[k % width], run, places]
                encoded.append(row(fixed + [c.field(start, end) for c in columns]))
            yield b"".join(encoded)

    await copy_binary(conn, "credits", _CREDIT_COLUMNS, chunks())
    return len(order)


_CREDIT_COLUMNS = (
    "participant_id",
    "plan_key",
    "period",
    "run_id",
    "minor_places",
    "deal_ids",
    "sources",
    "via_ids",
    "shares",
    "payout_minor",
)
