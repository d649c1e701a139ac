"""Pacing: where a participant stands in an open period and where the run rate ends.

From a measure's result, the deals that fed it (each with the value it counted for) and
the plan's tiers, gates and caps on that measure, it gives the cumulative curve by close
date, the expected-to-date line (quota spread evenly over the period's days), the
projected finish at the current run rate and the signals a rep acts on: the next tier
and how far it is, a gate not yet reached, a cap that cut the pay, a quota at risk.
Pure: the caller supplies the date to measure against.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

from incentives.engine.conditions import DateColumn, NumberColumn, condition_mask
from incentives.engine.plan import (
    CommissionPlan,
    Measure,
    RateComponent,
    TieredComponent,
)
from incentives.engine.tables import Categories


class Signal(enum.StrEnum):
    """What a participant is told about a measure, in the order it matters."""

    GATE_NOT_REACHED = "gate_not_reached"
    CAPPED = "capped"
    NEXT_TIER = "next_tier"
    QUOTA_REACHED = "quota_reached"
    AT_RISK = "at_risk"


@dataclass(frozen=True)
class CreditedDeal:
    """A deal as credited to the participant for the measure's plan and period."""

    close_date: dt.date
    credited: Decimal  # in the plan's currency, after the split share
    share: Decimal
    product: str
    status: str
    currency: str
    attributes: dict[str, str]


@dataclass(frozen=True)
class PaidLine:
    """An earning line of a component on the measure, with its trace."""

    component: str
    amount: Decimal
    trace: dict[str, Any]


@dataclass(frozen=True)
class Mark:
    """A tier's or gate's threshold on the measure's scale."""

    at: Decimal  # the measure's value where it starts
    attainment: Decimal | None  # the same as a fraction of quota, when there is one
    rate: Decimal | None = None


@dataclass(frozen=True)
class Pace:
    """A measure's pacing for one period."""

    days: int
    elapsed: int
    points: list[tuple[dt.date, Decimal]]
    expected_to_date: Decimal | None
    projected: Decimal
    projected_attainment: Decimal | None
    tiers: list[Mark]
    gate: Mark | None
    gate_reached: bool | None
    next_tier: Mark | None
    capped_by: Decimal | None  # what a cap held back
    cap: Decimal | None
    signals: list[Signal]


def elapsed_days(period: tuple[dt.date, dt.date], as_of: dt.date) -> tuple[int, int]:
    """The period's days, and how many of them have begun by ``as_of``."""
    start, end = period
    days = (end - start).days + 1
    return days, min(max((as_of - start).days + 1, 0), days)


def projected(value: Decimal, period: tuple[dt.date, dt.date], as_of: dt.date) -> Decimal:
    """The value at the period's end if the run rate so far holds (the value itself once
    the period is over, or before it starts)."""
    days, elapsed = elapsed_days(period, as_of)
    return value if elapsed >= days or elapsed == 0 else value * days / elapsed


def at_risk(
    value: Decimal, quota: Decimal | None, period: tuple[dt.date, dt.date], as_of: dt.date
) -> bool:
    """Whether an open period's run rate finishes below quota."""
    days, elapsed = elapsed_days(period, as_of)
    if quota is None or quota <= 0 or elapsed >= days:
        return False
    return projected(value, period, as_of) < quota


def weights(measure: Measure, deals: Sequence[CreditedDeal], places: int) -> list[Decimal]:
    """Per deal, what one unit of its credit counts for toward the measure: the factor of
    the first matching multiplier (1 if none), or 0 where the measure's ``where`` fails."""
    rows = len(deals)
    if not rows:
        return []
    names = {k for d in deals for k in d.attributes}
    columns: dict[str, Any] = {
        "product": Categories.encode(d.product for d in deals),
        "status": Categories.encode(d.status for d in deals),
        "currency": Categories.encode(d.currency for d in deals),
        "close_date": DateColumn(np.array([d.close_date.toordinal() for d in deals], np.int32)),
        "amount": NumberColumn(
            np.array(
                [int((d.credited / d.share).scaleb(places)) if d.share else 0 for d in deals],
                np.int64,
            ),
            places,
        ),
        **{n: Categories.encode(d.attributes.get(n, "") for d in deals) for n in names},
    }
    empty = Categories(np.zeros(rows, np.int32), ("",))

    def column(name: str) -> Any:
        return columns.get(name, empty)

    keep = (
        condition_mask(measure.where, column, rows)
        if measure.where is not None
        else np.ones(rows, np.bool_)
    )
    factors = [Decimal(1)] * rows
    for multiplier in reversed(measure.multipliers):  # the first match wins
        for i in np.flatnonzero(condition_mask(multiplier.where, column, rows)):
            factors[int(i)] = multiplier.factor
    return [f if k else Decimal(0) for f, k in zip(factors, keep, strict=True)]


def counted(measure: Measure, deals: Sequence[CreditedDeal], places: int) -> list[Decimal]:
    """What each deal counted for toward the measure: its credit (sum measures) or its
    share (count measures) times its weight."""
    return [
        (d.credited if measure.aggregate == "sum" else d.share) * w
        for d, w in zip(deals, weights(measure, deals, places), strict=True)
    ]


def pace(
    plan: CommissionPlan,
    measure: Measure,
    value: Decimal,
    quota: Decimal | None,
    period: tuple[dt.date, dt.date],
    as_of: dt.date,
    deals: Sequence[CreditedDeal],
    lines: Sequence[PaidLine],
    places: int,
) -> Pace:
    """The measure's pacing in the period ``(first day, last day)`` as of ``as_of``."""
    days, elapsed = elapsed_days(period, as_of)
    points: list[tuple[dt.date, Decimal]] = []
    running = Decimal(0)
    for deal, amount in sorted(
        zip(deals, counted(measure, deals, places), strict=True), key=lambda p: p[0].close_date
    ):
        running += amount
        if points and points[-1][0] == deal.close_date:
            points[-1] = (deal.close_date, running)
        else:
            points.append((deal.close_date, running))
    quota = quota if quota else None
    expected = None if quota is None else quota * elapsed / days
    finish = projected(value, period, as_of)
    ratio = None if quota is None else value / quota
    components = [
        c
        for c in plan.components
        if isinstance(c, TieredComponent | RateComponent) and c.measure == measure.key
    ]
    tiers = _tiers(components, quota)
    gate = _gate(components, quota)
    gate_reached = None if gate is None else value >= gate.at
    next_tier = next((t for t in tiers if t.at > value), None)
    cut = [
        Decimal(str(line.trace["before_cap"])) - line.amount
        for line in lines
        if line.trace.get("before_cap") is not None
    ]
    caps = [Decimal(str(line.trace["cap"])) for line in lines if line.trace.get("cap")]
    signals: list[Signal] = []
    if gate_reached is False:
        signals.append(Signal.GATE_NOT_REACHED)
    if cut:
        signals.append(Signal.CAPPED)
    if next_tier is not None and gate_reached is not False:
        signals.append(Signal.NEXT_TIER)
    if ratio is not None and ratio >= 1:
        signals.append(Signal.QUOTA_REACHED)
    if at_risk(value, quota, period, as_of):
        signals.append(Signal.AT_RISK)
    return Pace(
        days=days,
        elapsed=elapsed,
        points=points,
        expected_to_date=expected,
        projected=finish,
        projected_attainment=None if quota is None else finish / quota,
        tiers=tiers,
        gate=gate,
        gate_reached=gate_reached,
        next_tier=next_tier,
        capped_by=sum(cut, Decimal(0)) if cut else None,
        cap=caps[0] if caps else None,
        signals=signals,
    )


def _tiers(
    components: Sequence[TieredComponent | RateComponent], quota: Decimal | None
) -> list[Mark]:
    marks: list[Mark] = []
    for component in components:
        if not isinstance(component, TieredComponent):
            continue
        for tier in component.tiers:
            if not tier.from_.value:
                continue
            if component.on == "attainment":
                if quota is None:
                    continue
                marks.append(Mark(quota * tier.from_.value, tier.from_.value, tier.rate))
            else:
                at = tier.from_.value
                marks.append(Mark(at, None if quota is None else at / quota, tier.rate))
        break  # the first tiered component on the measure draws the tiers
    return marks


def _gate(
    components: Sequence[TieredComponent | RateComponent], quota: Decimal | None
) -> Mark | None:
    gates = [c.gate for c in components if c.gate]
    if not gates or quota is None:
        return None
    return Mark(quota * max(gates), max(gates))


def money_text(value: Decimal, places: int) -> str:
    """A value at the measure's places, rounded half-up: the one rendering of pacing figures."""
    return f"{value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)}"
