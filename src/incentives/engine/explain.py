"""A result's trace in plain words, the way a rep would want it explained."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from incentives.engine.money import exponent, from_minor
from incentives.engine.plan import DrawRecovery
from incentives.engine.results import Credit, Line, MeasureResult, Result, TierStep, Trace

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def money(amount: Decimal, currency: str) -> str:
    """``$120,000.00`` (or ``120,000.00 CHF`` for currencies without a common symbol)."""
    places = exponent(currency)
    rounded = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{abs(rounded):,.{places}f}"
    sign = "-" if rounded < 0 else ""
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def percent(fraction: Decimal, places: int = 1) -> str:
    """``1.2`` as ``120.0%``."""
    value = (fraction * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{value:f}%"


def _number(value: Decimal) -> str:
    normal = value.normalize()
    if normal == normal.to_integral_value():
        return f"{normal.quantize(Decimal(1)):,f}"
    return f"{normal:,f}"


def rate_text(fraction: Decimal) -> str:
    """A rate as written in plan files: ``0.08`` as ``8%``, ``0.015`` as ``1.5%``."""
    return f"{_number(fraction * 100)}%"


def _amount(measure: MeasureResult, value: Decimal, currency: str) -> str:
    return money(value, currency) if measure.is_money else _number(value)


def explain(result: Result, credits: Sequence[Credit] = ()) -> str:
    """Explain a participant's period: measures, every line and the total, in words."""
    currency = result.currency
    out = [f"{result.participant_name} ({result.participant_id}), {result.period}"]
    for measure in result.measures:
        out.extend(_explain_measure(measure, currency))
    if credits:
        out.append("Deals credited to you:")
        out.extend(f"  {_explain_credit(c, currency)}" for c in credits)
    measures = {m.key: m for m in result.measures}
    for line in result.lines:
        out.append(f"{line.name}: {money(from_minor(line.amount, currency), currency)}")
        out.extend(f"  {text}" for text in _explain_line(line, measures, currency))
    out.extend(result.notes)
    out.append(f"Total for {result.period}: {money(from_minor(result.total, currency), currency)}")
    return "\n".join(out)


def _explain_measure(measure: MeasureResult, currency: str) -> list[str]:
    window = " year to date" if measure.year_to_date else ""
    verb = "closed" if measure.is_money else "counted"
    value = _amount(measure, measure.value, currency)
    text = f"You {verb} {value} of {measure.name}{window}"
    if measure.quota is not None and measure.attainment is not None:
        text += (
            f" against a quota of {_amount(measure, measure.quota, currency)}"
            f" ({percent(measure.attainment)} attainment)."
        )
    else:
        text += "."
    lines = [text]
    if measure.full_quota is not None and measure.days_active < measure.days_in_period:
        lines.append(
            f"  Your quota of {_amount(measure, measure.full_quota, currency)} is prorated: you"
            f" were active {measure.days_active} of the {measure.days_in_period} days."
        )
    for factor, before in measure.multiplied:
        lines.append(
            f"  {_amount(measure, before, currency)} of it counts {_number(factor)} times,"
            f" as {_amount(measure, before * factor, currency)}."
        )
    return lines


def _explain_credit(credit: Credit, currency: str) -> str:
    text = (
        f"{credit.deal_id} closed {credit.close_date.isoformat()}: {money(credit.amount, currency)}"
    )
    if credit.source == "split":
        text += f" ({rate_text(credit.share)} split)"
    elif credit.source == "rollup":
        share = "" if credit.share == 1 else f", {rate_text(credit.share)} share"
        text += f" (rolled up from {credit.via}{share})"
    if credit.fx_rate is not None and credit.fx_rate_date is not None:
        text += (
            f", converted from {money(credit.deal_amount, credit.deal_currency)} at"
            f" {credit.fx_rate} (rate of {credit.fx_rate_date.isoformat()})"
        )
    return text


def _explain_line(line: Line, measures: dict[str, MeasureResult], currency: str) -> list[str]:
    trace = line.trace
    out: list[str] = []
    measure = measures.get(trace.measure or "")
    if trace.gate is not None:
        state = "reached" if trace.gate_met else "not reached, so nothing is paid"
        out.append(f"Nothing is paid below {percent(trace.gate)} attainment: {state}.")
    if trace.kind == "spiff":
        out.extend(
            f"{_number(s.base)} qualifying deal(s), your share, at {money(s.rate, currency)}"
            f" each: {money(s.earned, currency)}."
            for s in trace.steps
        )
    else:
        out.extend(
            _explain_step(step, trace.method, measure, currency, first=i == 0)
            for i, step in enumerate(trace.steps)
        )
    for attainment, amount, reached in trace.milestones:
        state = "reached" if reached else "not reached"
        out.append(
            f"Bonus of {money(amount, currency)} at {percent(attainment)} attainment: {state}."
        )
    if trace.before_cap is not None and trace.cap is not None and trace.before_cap > trace.cap:
        out.append(
            f"Earned {money(trace.before_cap, currency)}, capped at {money(trace.cap, currency)}."
        )
    if trace.year_to_date is not None and trace.previously_paid is not None:
        out.append(
            f"Year to date this comes to {money(trace.year_to_date, currency)}; earlier periods"
            f" of the year paid {money(trace.previously_paid, currency)}."
        )
    if trace.deals:
        out.append(f"Cancelled within the clawback window: {', '.join(trace.deals)}.")
    if trace.kind == "draw" and trace.draw is not None:
        out.append(
            f"Your guaranteed minimum is {money(trace.draw, currency)}{_draw_end(trace)};"
            " this tops your pay up to it."
            + (
                f" Still to be recovered: {money(trace.draw_balance, currency)}."
                if trace.draw_balance
                else ""
            )
        )
    if trace.kind == "draw_recovery" and trace.draw_balance is not None:
        out.append(
            f"Recovers part of earlier guaranteed pay{_RECOVERED_FROM[trace.recovery]};"
            f" still to recover: {money(trace.draw_balance, currency)}."
        )
    if trace.unrounded is not None and trace.unrounded != from_minor(line.amount, currency):
        out.append(f"Exactly {trace.unrounded:f}, rounded ({trace.rounding.replace('_', '-')}).")
    if trace.note:
        out.append(trace.note)
    return out


# What a recovery is taken from, by the plan's rule (unsaid in traces stored before it was).
_RECOVERED_FROM: dict[DrawRecovery | None, str] = {
    "excess_over_draw": " from your pay above the guaranteed minimum while it runs",
    "full": " from your earnings, before any new top-up",
    None: "",
}


def _draw_end(trace: Trace) -> str:
    """When the draw ends, as the end of a sentence (empty when the trace does not say)."""
    if trace.draw_through is not None:
        return f" through {trace.draw_through}"
    return " with no end date" if trace.draw_open_ended else ""


def _explain_step(
    step: TierStep, method: str | None, measure: MeasureResult | None, currency: str, *, first: bool
) -> str:
    is_money = measure is None or measure.is_money
    base = money(step.base, currency) if is_money else _number(step.base)
    rate = rate_text(step.rate) if is_money else f"{money(step.rate, currency)} each"
    earned = money(step.earned, currency)
    if method is None:
        return f"{base} at {rate}: {earned}."
    if method.startswith("retroactive"):
        return f"All {base} is paid at the rate of the highest tier reached, {rate}: {earned}."
    span = _span(step, method, measure, currency)
    lead = "The first" if first else "The next"
    return f"{lead} {base} ({span}) earned {rate}: {earned}."


def _span(step: TierStep, method: str, measure: MeasureResult | None, currency: str) -> str:
    if method.endswith("attainment") and measure is not None and measure.quota:
        low = percent(step.lower / measure.quota)
        if step.upper is None:
            return f"{low} of quota and above"
        return f"{low} to {percent(step.upper / measure.quota)} of quota"
    is_money = measure is None or measure.is_money
    fmt = (lambda v: money(v, currency)) if is_money else _number
    return (
        f"{fmt(step.lower)} and above"
        if step.upper is None
        else f"{fmt(step.lower)} to {fmt(step.upper)}"
    )
