"""Simulation output: the stable JSON shape (see docs/simulate.md) and terminal tables."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from incentives.engine.explain import money, percent
from incentives.engine.money import exponent, format_minor
from incentives.engine.results import Evaluation, MeasureResult, Result

ATTAINMENT_PLACES = 4


def _measure_value(measure: MeasureResult, value: Decimal, currency: str) -> str:
    places = exponent(currency) if measure.is_money else 2
    return f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"


def _ratio(value: Decimal) -> str:
    return f"{value.quantize(Decimal(1).scaleb(-ATTAINMENT_PLACES), ROUND_HALF_UP):f}"


def result_json(result: Result) -> dict[str, Any]:
    """One result in the public JSON shape."""
    currency = result.currency
    return {
        "participant": result.participant_id,
        "name": result.participant_name,
        "period": result.period,
        "currency": currency,
        "measures": {m.key: _measure_value(m, m.value, currency) for m in result.measures},
        "quotas": {
            m.key: _measure_value(m, m.quota, currency)
            for m in result.measures
            if m.quota is not None
        },
        "attainment": {
            m.key: _ratio(m.attainment) for m in result.measures if m.attainment is not None
        },
        "lines": [
            {
                "component": line.component,
                "name": line.name,
                "kind": line.trace.kind,
                "amount": format_minor(line.amount, currency),
            }
            for line in result.lines
        ],
        "total": format_minor(result.total, currency),
        "notes": list(result.notes),
    }


def evaluation_json(evaluation: Evaluation) -> dict[str, Any]:
    """The whole evaluation: ``{"plan": KEY, "results": [...]}``."""
    return {"plan": evaluation.plan_key, "results": [result_json(r) for r in evaluation.results]}


def evaluation_table(evaluation: Evaluation) -> str:
    """Per participant and period: measures, attainment, lines and total."""
    blocks: list[str] = []
    width = 48
    for result in evaluation.results:
        currency = result.currency
        rows = [f"{result.participant_id}  {result.participant_name}  {result.period}"]
        for m in result.measures:
            value = money(m.value, currency) if m.is_money else f"{m.value.normalize():f}"
            text = f"  {m.name}: {value}"
            if m.quota is not None and m.attainment is not None:
                quota = money(m.quota, currency) if m.is_money else f"{m.quota.normalize():f}"
                text += f" of {quota} ({percent(m.attainment)})"
            rows.append(text)
        for line in result.lines:
            amount = money(Decimal(format_minor(line.amount, currency)), currency)
            rows.append(f"  {line.name:<{width}}{amount:>16}")
        total = money(Decimal(format_minor(result.total, currency)), currency)
        rows.append(f"  {'Total':<{width}}{total:>16}")
        rows.extend(f"  note: {note}" for note in result.notes)
        blocks.append("\n".join(rows))
    if not blocks:
        return "no results: no participant has data in the periods asked for"
    return "\n\n".join(blocks)


def totals_by_participant(evaluation: Evaluation) -> dict[str, tuple[str, int]]:
    """Each participant's name and total pay over all evaluated periods (minor units)."""
    out: dict[str, tuple[str, int]] = {}
    for result in evaluation.results:
        name, total = out.get(result.participant_id, (result.participant_name, 0))
        out[result.participant_id] = (name, total + result.total)
    return out


def comparison(base: Evaluation, other: Evaluation) -> dict[str, Any]:
    """Each participant's total under both plans and the difference (other minus base)."""
    currency = base.currency
    left, right = totals_by_participant(base), totals_by_participant(other)
    rows = []
    for pid in sorted(left.keys() | right.keys()):
        name = (left.get(pid) or right[pid])[0]
        a, b = left.get(pid, (name, 0))[1], right.get(pid, (name, 0))[1]
        rows.append(
            {
                "participant": pid,
                "name": name,
                base.plan_key: format_minor(a, currency),
                other.plan_key: format_minor(b, currency),
                "difference": format_minor(b - a, currency),
            }
        )
    return {
        "plan": base.plan_key,
        "compare": other.plan_key,
        "currency": currency,
        "participants": rows,
    }


def comparison_table(data: dict[str, Any]) -> str:
    """The comparison as aligned columns."""
    base, other, currency = data["plan"], data["compare"], data["currency"]
    header = f"{'participant':<16}{'name':<24}{base:>22}{other:>22}{'difference':>16}"
    rows = [header, "-" * len(header)]
    for row in data["participants"]:
        rows.append(
            f"{row['participant']:<16}{row['name']:<24}"
            f"{money(Decimal(row[base]), currency):>22}{money(Decimal(row[other]), currency):>22}"
            f"{money(Decimal(row['difference']), currency):>16}"
        )
    return "\n".join(rows)
