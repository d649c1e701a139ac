"""Reading persisted results back: attainment, earning lines, statements, explanations.

Money leaves as decimal strings with the currency's minor-unit places, never as floats.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import asyncpg
import msgspec

from incentives.calc.adjustments import adjustment_words
from incentives.calc.credited import credited_deal
from incentives.calc.traces import AdjustmentTrace, TracedBy, line_trace
from incentives.db.limits import INTEGER_MAX, as_number
from incentives.db.paging import fetch_page
from incentives.engine.credit_trace import measured_periods
from incentives.engine.explain import explain
from incentives.engine.money import exponent, format_minor, from_minor
from incentives.engine.pacing import money_text, weights
from incentives.engine.plan import CommissionPlan
from incentives.engine.results import Credit, Line, MeasureResult, Result
from incentives.formats import CurrencyCode, Figure, Money, Ratio
from incentives.instants import Instant, maybe_instant
from incentives.plans.publish import in_force


class MeasureUnit(enum.StrEnum):
    """What a measure counts: money (in the result's currency) or a count."""

    MONEY = "money"
    COUNT = "count"

    @classmethod
    def of(cls, stored: dict[str, Any]) -> MeasureUnit:
        """The unit of a stored measure result."""
        return cls.MONEY if stored.get("is_money") else cls.COUNT

    def places(self, currency: str) -> int:
        """How many decimals its figures are given to: the currency's, or two."""
        return exponent(currency) if self is MeasureUnit.MONEY else 2


class MeasureView(msgspec.Struct):
    """A measure of one plan and period: value and (prorated) quota to the currency's
    places when it is money (two for a count), and attainment."""

    plan: str
    period: str
    measure: str
    name: str
    value: Figure
    quota: Figure | None
    attainment: Ratio | None
    unit: MeasureUnit
    currency: CurrencyCode


class LineView(msgspec.Struct):
    """One earning line, with the id that ``…/earnings/{id}/explain`` takes."""

    id: str
    plan: str
    period: str
    component: str
    name: str
    amount: Money
    currency: CurrencyCode
    trace: TracedBy


class StatementView(msgspec.Struct):
    """What a participant is paid for a period. Once the period has closed, its statement
    (``id`` set, all plans together, ``status`` where its payout stands); until then an
    estimate per plan (``status`` ``estimate``)."""

    plan: str | None
    period: str
    currency: CurrencyCode
    total: Money
    lines: int
    status: str
    computed_at: Instant | None
    id: int | None = None


class DealView(msgspec.Struct):
    """A deal behind a line: how much of it was credited, and why."""

    deal: str
    close_date: str
    source: str
    share: str
    credited: str
    deal_amount: str
    deal_currency: str
    via: str | None
    product: str | None = None
    # What one unit of credit counted for toward the line's measure (a multiplier, or 0
    # where the measure does not count the deal), and the value it counted for.
    multiplier: str | None = None
    counted: str | None = None


class Explanation(msgspec.Struct):
    """A line in plain words, with the deals that fed it."""

    line: LineView
    text: str
    deals: list[DealView]


def line_id(plan: str, period: str, number: int) -> str:
    """The public id of an earning line."""
    return f"{plan}:{period}:{number}"


def parse_line_id(text: str) -> tuple[str, str, int] | None:
    """The parts of a line id, or None if it is not one."""
    parts = text.split(":")
    number = as_number(parts[2], INTEGER_MAX) if len(parts) == 3 else None
    return None if number is None else (parts[0], parts[1], number)


def attainment_text(ratio: Decimal) -> str:
    """A ratio to quota as the API writes it: four places, half to even."""
    return f"{ratio.quantize(Decimal('0.0001'), ROUND_HALF_EVEN)}"


def ratio_text(ratio: Decimal | None) -> str | None:
    """``attainment_text(ratio)``, or None for None."""
    return None if ratio is None else attainment_text(ratio)


async def plans_in_period(
    conn: asyncpg.Connection, period: str
) -> tuple[tuple[dt.date, dt.date], dict[str, CommissionPlan]] | None:
    """A period's first and last day and the commission plans in force in it, by key;
    None if there is no such period."""
    bounds = await conn.fetchrow(
        "SELECT start_date, end_date FROM periods WHERE label = $1", period
    )
    if bounds is None:
        return None
    span = (bounds["start_date"], bounds["end_date"])
    return span, {p.key: p for _, p in await in_force(conn, *span)}


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _measure_views(
    plan: str, period: str, currency: str, measures: list[dict[str, Any]]
) -> list[MeasureView]:
    views = []
    for m in measures:
        attainment = m.get("attainment")
        unit = MeasureUnit.of(m)
        places = unit.places(currency)
        views.append(
            MeasureView(
                plan=plan,
                period=period,
                measure=m["key"],
                name=m["name"],
                value=money_text(Decimal(m["value"]), places),
                quota=None if m.get("quota") is None else money_text(Decimal(m["quota"]), places),
                attainment=None if attainment is None else attainment_text(Decimal(attainment)),
                unit=unit,
                currency=currency,
            )
        )
    return views


async def attainment(
    conn: asyncpg.Connection, participant_id: int, period: str | None
) -> list[MeasureView]:
    """Every measure of every plan for the participant (one period, or all)."""
    rows = await conn.fetch(
        "SELECT plan_key, period, currency, measures FROM participant_results"
        " WHERE participant_id = $1 AND ($2::text IS NULL OR period = $2)"
        " ORDER BY period, plan_key",
        participant_id,
        period,
    )
    return [
        v
        for r in rows
        for v in _measure_views(r["plan_key"], r["period"], r["currency"], r["measures"])
    ]


def _line_view(row: asyncpg.Record) -> LineView:
    return LineView(
        id=line_id(row["plan_key"], row["period"], row["line_no"]),
        plan=row["plan_key"],
        period=row["period"],
        component=row["component"],
        name=row["name"],
        amount=format_minor(row["amount_minor"], row["currency"]),
        currency=row["currency"],
        trace=line_trace(row["trace"]),
    )


async def earnings(
    conn: asyncpg.Connection, participant_id: int, period: str | None
) -> list[LineView]:
    """The participant's earning lines (one period, or all)."""
    rows = await conn.fetch(
        "SELECT plan_key, period, line_no, component, name, amount_minor, currency, trace"
        " FROM earning_lines WHERE participant_id = $1 AND ($2::text IS NULL OR period = $2)"
        " ORDER BY period, plan_key, line_no",
        participant_id,
        period,
    )
    return [_line_view(r) for r in rows]


_STATEMENTS = """
SELECT *, count(*) OVER () AS total FROM (
    SELECT s.id, NULL::text AS plan_key, s.period, s.currency, s.total_minor, s.status,
           (SELECT count(*) FROM statement_lines l WHERE l.statement_id = s.id) AS lines,
           s.created_at AS at
    FROM statements s WHERE s.participant_id = $1
    UNION ALL
    SELECT NULL, r.plan_key, r.period, r.currency, r.total_minor, 'estimate',
           (SELECT count(*) FROM earning_lines l WHERE l.participant_id = r.participant_id
            AND l.plan_key = r.plan_key AND l.period = r.period),
           c.finished_at
    FROM participant_results r JOIN calc_runs c ON c.id = r.run_id
    LEFT JOIN periods p ON p.label = r.period
    WHERE r.participant_id = $1 AND p.status IS DISTINCT FROM 'closed'
) pay
ORDER BY period DESC, plan_key NULLS FIRST, currency LIMIT $2 OFFSET $3
"""


async def statements(
    conn: asyncpg.Connection, participant_id: int, limit: int, offset: int
) -> tuple[list[StatementView], int]:
    """A page of the statements of closed periods and estimates of the others, newest
    period first, and how many there are in all."""
    rows, total = await fetch_page(conn, _STATEMENTS, participant_id, limit, offset)
    views = [
        StatementView(
            id=r["id"],
            plan=r["plan_key"],
            period=r["period"],
            currency=r["currency"],
            total=format_minor(r["total_minor"], r["currency"]),
            lines=r["lines"],
            status=r["status"],
            computed_at=maybe_instant(r["at"]),
        )
        for r in rows
    ]
    return views, total


async def explanation(
    conn: asyncpg.Connection, participant_id: int, plan: str, period: str, number: int
) -> Explanation | None:
    """One line explained in words, with its contributing deals; None if there is no such line."""
    head = await conn.fetchrow(
        "SELECT r.currency, r.measures, r.notes, r.total_minor, p.external_id, p.name"
        " FROM participant_results r JOIN participants p ON p.id = r.participant_id"
        " WHERE r.participant_id = $1 AND r.plan_key = $2 AND r.period = $3",
        participant_id,
        plan,
        period,
    )
    line = await conn.fetchrow(
        "SELECT plan_key, period, line_no, component, name, amount_minor, currency, trace"
        " FROM earning_lines WHERE participant_id = $1 AND plan_key = $2 AND period = $3"
        " AND line_no = $4",
        participant_id,
        plan,
        period,
        number,
    )
    if head is None or line is None:
        return None
    found = await plans_in_period(conn, period)
    the_plan = None if found is None else found[1].get(plan)
    shaped = line_trace(line["trace"])
    # An adjustment is told by the closed period it adjusts and the deals whose credit to
    # it changed, not by this period's measures and deals.
    said = (
        adjustment_words(shaped, head["currency"]) if isinstance(shaped, AdjustmentTrace) else None
    )
    credits = (
        []
        if said is not None
        else await conn.fetch(
            "SELECT d.external_id, d.close_date, c.source, c.share, c.amount, d.amount_minor,"
            " d.currency, v.external_id AS via, d.product, d.status, d.attributes,"
            " d.cancel_date"
            " FROM credit_rows c JOIN deals d ON d.id = c.deal_id"
            " LEFT JOIN participants v ON v.id = c.via_id"
            " WHERE c.participant_id = $1 AND c.plan_key = $2 AND c.period = ANY($3::text[])"
            " ORDER BY d.close_date, d.external_id",
            participant_id,
            plan,
            [period] if the_plan is None else measured_periods(the_plan, period),
        )
    )
    measures = tuple(msgspec.convert(m, MeasureResult, strict=False) for m in head["measures"])
    the_line = msgspec.convert(
        {
            "component": line["component"],
            "name": line["name"],
            "amount": line["amount_minor"],
            "currency": line["currency"],
            "trace": line["trace"],
        },
        Line,
        strict=False,
    )
    result = Result(
        participant_id=head["external_id"],
        participant_name=head["name"],
        period=period,
        currency=head["currency"],
        measures=() if said is not None else measures,
        lines=(the_line,),
        total=head["total_minor"],
        notes=tuple(head["notes"]),
    )
    deals = [
        Credit(
            deal_id=c["external_id"],
            close_date=c["close_date"],
            source=c["source"],
            share=c["share"],
            via=c["via"],
            amount=c["amount"],
            deal_currency=c["currency"],
            deal_amount=from_minor(c["amount_minor"], c["currency"]),
            fx_rate=None,
            fx_rate_date=None,
            cancel_date=c["cancel_date"],
        )
        for c in credits
    ]
    said = (
        adjustment_words(shaped, head["currency"]) if isinstance(shaped, AdjustmentTrace) else None
    )
    factors = _weights(the_plan, line["trace"].get("measure"), credits)
    return Explanation(
        line=_line_view(line),
        text=explain(result, deals, only=the_line, said=said),
        deals=[
            DealView(
                deal=c["external_id"],
                close_date=c["close_date"].isoformat(),
                source=c["source"],
                share=_plain(c["share"]),
                credited=_plain(c["amount"]),
                deal_amount=format_minor(c["amount_minor"], c["currency"]),
                deal_currency=c["currency"],
                via=c["via"],
                product=c["product"],
                multiplier=None if w is None else _plain(w),
                counted=None if w is None else _plain(c["amount"] * w),
            )
            for c, w in zip(credits, factors, strict=True)
        ],
    )


def _weights(
    plan: CommissionPlan | None, measure_key: str | None, credits: list[asyncpg.Record]
) -> list[Decimal | None]:
    """Per credit, its weight toward the line's measure (None: the line reads no measure
    or its plan version is no longer in force)."""
    measure = next((m for m in plan.measures if m.key == measure_key), None) if plan else None
    if plan is None or measure is None:
        return [None] * len(credits)
    deals = [credited_deal(c) for c in credits]
    return list(weights(measure, deals, exponent(plan.payout_currency)))
