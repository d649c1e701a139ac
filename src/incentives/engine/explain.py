"""A result's trace in plain words, the way a rep would want it explained."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from incentives.engine.money import exponent, from_minor
from incentives.engine.plan import DrawRecovery
from incentives.engine.results import (
    Credit,
    Line,
    LineKind,
    MeasureResult,
    Result,
    TierStep,
    Trace,
)

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


def explain(
    result: Result,
    credits: Sequence[Credit] = (),
    *,
    only: Line | None = None,
    said: Sequence[str] | None = None,
) -> str:
    """Explain a participant's period: measures, the deals behind them, every line and the
    total, in words.

    ``only``: explain that one of the result's lines, then the period's total
    (``result.total``). ``said``: that line's words, for a line made outside the engine.
    """
    currency = result.currency
    out = [f"{result.participant_name} ({result.participant_id}), {result.period}"]
    for measure in result.measures:
        out.extend(_explain_measure(measure, credits, currency))
    if credits:
        out.append("Deals credited to you:")
        out.extend(f"  {_explain_credit(c, currency)}" for c in credits)
    measures = {m.key: m for m in result.measures}
    for line in result.lines if only is None else (only,):
        out.append(f"{line.name}: {money(from_minor(line.amount, currency), currency)}")
        words = _explain_line(line, measures, currency) if said is None else said
        out.extend(f"  {text}" for text in words)
    out.extend(result.notes)
    if only is not None:
        out.append(f"This line: {money(from_minor(only.amount, currency), currency)}")
    out.append(f"Total for {result.period}: {money(from_minor(result.total, currency), currency)}")
    return "\n".join(out)


def _people(count: int) -> str:
    return "1 person" if count == 1 else f"{count} people"


def _explain_measure(measure: MeasureResult, credits: Sequence[Credit], currency: str) -> list[str]:
    lines = [_credited(measure, credits, currency)]
    if measure.quota is not None and measure.attainment is not None:
        lines[0] += (
            f" against a quota of {_amount(measure, measure.quota, currency)}"
            f" ({percent(measure.attainment)} attainment)."
        )
    else:
        lines[0] += "."
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


def _credited(measure: MeasureResult, credits: Sequence[Credit], currency: str) -> str:
    """What the measure came to and where from: closed by the participant, or credited
    (multipliers, split shares, rollup from the people below them)."""
    value = _amount(measure, measure.value, currency)
    subject = f"{value} of {measure.name}" + (" year to date" if measure.year_to_date else "")
    uplift = sum((before * (factor - 1) for factor, before in measure.multiplied), Decimal(0))
    closed = _amount(measure, measure.value - uplift, currency)
    rolled = [c for c in credits if c.source == "rollup"]
    people = _people(len({c.via for c in rolled}))
    shared = any(c.share != 1 for c in credits if c.source != "rollup")
    if rolled and len(rolled) == len(credits):
        origin = f"from {closed} of deals, " if uplift else ""
        return f"Your team's deals credit you {subject} ({origin}rolled up from {people})"
    clauses = []
    if uplift:
        clauses.append(f"from {closed} of deals closed")
    if shared:
        clauses.append("split deals at your share")
    if rolled:
        team = sum((c.amount if measure.is_money else c.share for c in rolled), Decimal(0))
        clauses.append(f"{_amount(measure, team, currency)} of it rolled up from {people}")
    if not clauses:
        return f"You {'closed' if measure.is_money else 'counted'} {subject}"
    verb = "are credited" if measure.is_money else "are counted"
    return f"You {verb} {subject} ({', '.join(clauses)})"


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
    if credit.cancel_date is not None:
        text += f"; cancelled {credit.cancel_date.isoformat()}"
    return text


def _explain_line(line: Line, measures: dict[str, MeasureResult], currency: str) -> list[str]:
    trace = line.trace
    out = _EXPLAIN[trace.kind](trace, measures.get(trace.measure or ""), currency)
    if trace.before_cap is not None and trace.cap is not None and trace.before_cap > trace.cap:
        out.append(
            f"Earned {money(trace.before_cap, currency)}, capped at {money(trace.cap, currency)}"
            f"{_cap_basis(trace, currency)}."
        )
    if trace.year_to_date is not None and trace.previously_paid is not None:
        out.append(
            f"Year to date this comes to {money(trace.year_to_date, currency)}; earlier periods"
            f" of the year paid {money(trace.previously_paid, currency)}."
        )
    out.extend(_rounding(line, currency))
    if trace.note:
        out.append(trace.note)
    return out


def _gated_steps(trace: Trace, measure: MeasureResult | None, currency: str) -> list[str]:
    """A rate or tiered line: its gate, then each step that paid."""
    out: list[str] = []
    if trace.gate is not None:
        state = "reached" if trace.gate_met else "not reached, so nothing is paid"
        out.append(f"Nothing is paid below {percent(trace.gate)} attainment: {state}.")
    last = len(trace.steps) - 1
    out.extend(
        _explain_step(step, trace.method, measure, currency, first=i == 0, last=i == last)
        for i, step in enumerate(trace.steps)
    )
    return out


def _milestones(trace: Trace, _measure: MeasureResult | None, currency: str) -> list[str]:
    return [
        f"Bonus of {money(amount, currency)} at {percent(attainment)} attainment:"
        f" {'reached' if reached else 'not reached'}."
        for attainment, amount, reached in trace.milestones
    ]


def _spiff(trace: Trace, _measure: MeasureResult | None, currency: str) -> list[str]:
    return [_explain_spiff(step, trace.shares, currency) for step in trace.steps]


def _clawback(trace: Trace, _measure: MeasureResult | None, _currency: str) -> list[str]:
    return (
        [f"Cancelled within the clawback window: {', '.join(trace.deals)}."] if trace.deals else []
    )


def _draw(trace: Trace, _measure: MeasureResult | None, currency: str) -> list[str]:
    if trace.draw is None:
        return []
    owed = (
        f" Still to be recovered: {money(trace.draw_balance, currency)}."
        if trace.draw_balance
        else ""
    )
    return [
        f"Your guaranteed minimum is {money(trace.draw, currency)}{_draw_end(trace)};"
        f" this tops your pay up to it.{owed}"
    ]


def _draw_recovery(trace: Trace, _measure: MeasureResult | None, currency: str) -> list[str]:
    if trace.draw_balance is None:
        return []
    return [
        f"Recovers part of earlier guaranteed pay{_RECOVERED_FROM[trace.recovery]};"
        f" still to recover: {money(trace.draw_balance, currency)}."
    ]


def _figures_only(_trace: Trace, _measure: MeasureResult | None, _currency: str) -> list[str]:
    """Nothing of its own: the plan cap is told by its cap's figures, and a line made
    outside the engine by its note."""
    return []


# What each kind of line says before its cap, year-to-date, rounding and note.
_EXPLAIN: dict[LineKind, Callable[[Trace, MeasureResult | None, str], list[str]]] = {
    LineKind.RATE: _gated_steps,
    LineKind.TIERED: _gated_steps,
    LineKind.BONUS: _milestones,
    LineKind.SPIFF: _spiff,
    LineKind.PLAN_CAP: _figures_only,
    LineKind.CLAWBACK: _clawback,
    LineKind.DRAW: _draw,
    LineKind.DRAW_RECOVERY: _draw_recovery,
    LineKind.ADJUSTMENT: _figures_only,
    LineKind.MANUAL_ADJUSTMENT: _figures_only,
    LineKind.CONTEST_PRIZE: _figures_only,
}


def _rounding(line: Line, currency: str) -> list[str]:
    """The exact amount behind a rounded one, only when rounding changed it: a
    year-to-date line rounds the year's amount, of which the line is the difference."""
    trace = line.trace
    if trace.unrounded is None:
        return []
    to_date = trace.year_to_date
    rounded = from_minor(line.amount, currency) if to_date is None else to_date
    if trace.unrounded == rounded:
        return []
    what = "amount" if to_date is None else "year-to-date amount"
    how = trace.rounding.replace("_", "-")
    return [
        f"The exact {what}, {trace.unrounded:f}, is rounded {how} to {money(rounded, currency)}."
    ]


_WINDOWS = {1: "the month", 3: "the quarter"}


def _cap_basis(trace: Trace, currency: str) -> str:
    """`` (a fixed cap)``, or what multiple of the target incentive the cap is."""
    if trace.cap_basis == "amount":
        return " (a fixed cap)"
    if trace.cap_multiple is None or trace.cap_target is None or trace.cap_months is None:
        return ""  # a trace from before caps recorded their basis
    text = (
        f" ({_number(trace.cap_multiple)} × your annual target incentive of"
        f" {money(trace.cap_target, currency)}"
    )
    if trace.cap_months != 12:
        window = "the year to date" if trace.year_to_date is not None else None
        window = window or _WINDOWS.get(trace.cap_months, f"{trace.cap_months} months")
        text += f", {trace.cap_months}/12 of it for {window}"
    return text + ")"


def _explain_spiff(step: TierStep, shares: Sequence[tuple[Decimal, int]], currency: str) -> str:
    """Whole qualifying deals, and the credited shares behind their worth."""
    each = f"at {money(step.rate, currency)} each: {money(step.earned, currency)}."
    if not shares:
        # A trace from before deals were counted by share: only their worth is known.
        return f"{_number(step.base)} qualifying deals' worth {each}"
    deals = sum(n for _, n in shares)
    counted = f"{deals} qualifying deal{'' if deals == 1 else 's'}"
    if all(share == 1 for share, _ in shares):
        return f"{counted} {each}"
    parts = [
        f"{n} in full" if share == 1 else f"{n} at a {rate_text(share)} share"
        for share, n in shares
    ]
    return f"{counted} ({', '.join(parts)}: {_number(step.base)} deals' worth) {each}"


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
    step: TierStep,
    method: str | None,
    measure: MeasureResult | None,
    currency: str,
    *,
    first: bool,
    last: bool,
) -> str:
    is_money = measure is None or measure.is_money
    base = money(step.base, currency) if is_money else _number(step.base)
    rate = rate_text(step.rate) if is_money else f"{money(step.rate, currency)} each"
    earned = money(step.earned, currency)
    if method is None:
        return f"{base} at {rate}: {earned}."
    tier = _tier(step, method, measure, currency)
    # Where the participant got to, within the tier they reached.
    if last and measure is not None and (step.upper is None or measure.value < step.upper):
        tier += f", where you reached {_reached(method, measure, currency)}"
    if method.startswith("retroactive"):
        return (
            f"All {base} is paid at the rate of the highest tier reached ({tier}), {rate}:"
            f" {earned}."
        )
    lead = "The first" if first else "The next"
    return f"{lead} {base} ({tier}) earned {rate}: {earned}."


def _on_attainment(method: str, measure: MeasureResult | None) -> bool:
    return method.endswith("attainment") and measure is not None and bool(measure.quota)


def _tier(step: TierStep, method: str, measure: MeasureResult | None, currency: str) -> str:
    """The tier's bounds: ``up to 100% of quota``, ``100% to 150% of quota``, ``150% of
    quota and above`` (or in amounts, for tiers on amount)."""
    quota = measure.quota if measure is not None and _on_attainment(method, measure) else None
    is_money = measure is None or measure.is_money

    def fmt(value: Decimal) -> str:
        if quota is not None:
            return rate_text(value / quota)
        return money(value, currency) if is_money else _number(value)

    unit = "" if quota is None else " of quota"
    if step.upper is None:
        return f"{fmt(step.lower)}{unit} and above"
    if step.lower == 0:
        return f"up to {fmt(step.upper)}{unit}"
    return f"{fmt(step.lower)} to {fmt(step.upper)}{unit}"


def _reached(method: str, measure: MeasureResult, currency: str) -> str:
    """How far the participant got: their attainment, or the measure's value."""
    window = " year to date" if measure.year_to_date else ""
    if _on_attainment(method, measure) and measure.attainment is not None:
        return f"{percent(measure.attainment)}{window}"
    return f"{_amount(measure, measure.value, currency)}{window}"
