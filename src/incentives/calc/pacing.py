"""A participant's pacing in a period, read from the last run: the shell around
``engine.pacing`` (which measures, which deals, which plan version, which day)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import asyncpg
import msgspec

from incentives.calc.credited import CREDITED_COLUMNS, credited_deal
from incentives.calc.read import MeasureUnit, plans_in_period, ratio_text
from incentives.engine.money import exponent, from_minor
from incentives.engine.pacing import CreditedDeal, Mark, PaidLine, Signal, money_text, pace
from incentives.formats import CurrencyCode, Figure, Ratio


class PacePoint(msgspec.Struct):
    """The measure's value once the deals closed on ``date`` are counted."""

    date: str
    value: Figure


class Threshold(msgspec.Struct):
    """Where a tier or gate starts: the measure's value, and as a fraction of quota."""

    value: Figure
    attainment: Ratio | None
    rate: str | None = None
    to_go: Figure | None = None


class PacingView(msgspec.Struct):
    """One measure of one plan in a period: the curve, the lines to read it against and
    the signals in order of importance (see ``engine.pacing.Signal``)."""

    plan: str
    plan_name: str
    period: str
    start: str
    end: str
    as_of: str
    days: int
    elapsed: int
    measure: str
    name: str
    unit: MeasureUnit
    currency: CurrencyCode
    value: Figure
    quota: Figure | None
    attainment: Ratio | None
    expected_to_date: Figure | None
    projected: Figure
    projected_attainment: Ratio | None
    points: list[PacePoint]
    tiers: list[Threshold]
    gate: Threshold | None
    gate_reached: bool | None
    next_tier: Threshold | None
    cap: str | None
    capped_by: str | None
    signals: list[Signal]


def _threshold(mark: Mark | None, places: int, value: Decimal | None = None) -> Threshold | None:
    if mark is None:
        return None
    return Threshold(
        value=money_text(mark.at, places),
        attainment=ratio_text(mark.attainment),
        rate=None if mark.rate is None else f"{mark.rate.normalize():f}",
        to_go=None if value is None else money_text(max(mark.at - value, Decimal(0)), places),
    )


async def _deals(
    conn: asyncpg.Connection, participant_id: int, plan: str, period: str
) -> list[CreditedDeal]:
    rows = await conn.fetch(
        f"SELECT {CREDITED_COLUMNS} FROM credit_rows c JOIN deals d ON d.id = c.deal_id"
        " WHERE c.participant_id = $1 AND c.plan_key = $2 AND c.period = $3",
        participant_id,
        plan,
        period,
    )
    return [credited_deal(r) for r in rows]


async def pacing(
    conn: asyncpg.Connection, participant_id: int, period: str, today: dt.date
) -> list[PacingView]:
    """Every quota or tiered measure of the participant's plans in ``period``."""
    in_period = await plans_in_period(conn, period)
    if in_period is None:
        return []
    (start, end), plans = in_period
    results = await conn.fetch(
        "SELECT plan_key, measures, currency FROM participant_results"
        " WHERE participant_id = $1 AND period = $2 ORDER BY plan_key",
        participant_id,
        period,
    )
    lines = await conn.fetch(
        "SELECT plan_key, component, amount_minor, currency, trace FROM earning_lines"
        " WHERE participant_id = $1 AND period = $2",
        participant_id,
        period,
    )
    out: list[PacingView] = []
    for result in results:
        plan = plans.get(result["plan_key"])
        if plan is None:  # its version is no longer in force
            continue
        currency = result["currency"]
        deals = await _deals(conn, participant_id, plan.key, period)
        for stored in result["measures"]:
            measure = next((m for m in plan.measures if m.key == stored["key"]), None)
            if measure is None or stored.get("quota") is None:
                continue
            paid = [
                PaidLine(
                    line["component"], from_minor(line["amount_minor"], currency), line["trace"]
                )
                for line in lines
                if line["plan_key"] == plan.key and line["trace"].get("measure") == measure.key
            ]
            unit = MeasureUnit.of(stored)
            places = unit.places(currency)
            value = Decimal(stored["value"])
            quota = Decimal(stored["quota"])
            found = pace(plan, measure, value, quota, (start, end), today, deals, paid, places)
            out.append(
                PacingView(
                    plan=plan.key,
                    plan_name=plan.name,
                    period=period,
                    start=start.isoformat(),
                    end=end.isoformat(),
                    as_of=min(max(today, start), end).isoformat(),
                    days=found.days,
                    elapsed=found.elapsed,
                    measure=measure.key,
                    name=measure.name,
                    unit=unit,
                    currency=currency,
                    value=money_text(value, places),
                    quota=money_text(quota, places),
                    attainment=ratio_text(value / quota if quota else None),
                    expected_to_date=None
                    if found.expected_to_date is None
                    else money_text(found.expected_to_date, places),
                    projected=money_text(found.projected, places),
                    projected_attainment=ratio_text(found.projected_attainment),
                    points=[
                        PacePoint(d.isoformat(), money_text(v, places)) for d, v in found.points
                    ],
                    tiers=[t for t in (_threshold(m, places, value) for m in found.tiers) if t],
                    gate=_threshold(found.gate, places, value),
                    gate_reached=found.gate_reached,
                    next_tier=_threshold(found.next_tier, places, value),
                    cap=None if found.cap is None else money_text(found.cap, exponent(currency)),
                    capped_by=None
                    if found.capped_by is None
                    else money_text(found.capped_by, exponent(currency)),
                    signals=found.signals,
                )
            )
    return out
