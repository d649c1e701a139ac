"""Semantic checks of a decoded plan: everything a type alone cannot say.

Each check returns problems as (path, message) so that a plan author sees them all at once.
The checks run part by part (the plan's settings, each measure, each component), so that
the parts of a plan that decoded are checked even while other parts have type problems.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from incentives.bounds import MAX_KEY
from incentives.engine.conditions import field_kind, parse_value
from incentives.engine.money import exponent, is_known_currency
from incentives.engine.plan import (
    BonusComponent,
    Cap,
    CommissionPlan,
    Component,
    Condition,
    Draw,
    Measure,
    RateComponent,
    SpiffComponent,
    Tier,
    TieredComponent,
)
from incentives.engine.results import LineKind

# Keys of the lines the engine adds (plan cap, clawback, draw), so components cannot use them.
ADJUSTMENT_KEYS = frozenset(
    {LineKind.PLAN_CAP, LineKind.CLAWBACK, LineKind.DRAW, LineKind.DRAW_RECOVERY}
)
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# Beyond these a figure is almost certainly a typo (0.08 written as 8, 1.5 as 15).
MAX_RATE = Decimal(1)
MAX_FACTOR = Decimal(10)
MAX_ROLLUP_LEVELS = 10
MAX_CLAWBACK_DAYS = 3660

T = TypeVar("T")


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a plan: where it is (``components[2].tiers[1].rate``) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass(frozen=True)
class PlanParts:
    """The parts of a plan that decoded. ``settings`` stands for the plan-level settings
    only (None when one of them has a type problem); ``measures`` and ``components`` have
    one entry per item in the file, None for an item with a type problem, and are None
    themselves when the list has one."""

    settings: CommissionPlan | None
    measures: Sequence[Measure | None] | None
    components: Sequence[Component | None] | None

    @classmethod
    def of(cls, plan: CommissionPlan) -> PlanParts:
        """Every part of a plan that decoded whole."""
        return cls(plan, plan.measures, plan.components)


def validate_commission_plan(plan: CommissionPlan) -> list[Problem]:
    """Every semantic problem of a commission plan, in file order."""
    return validate_parts(PlanParts.of(plan))


def validate_parts(parts: PlanParts) -> list[Problem]:
    """Every semantic problem of the parts of a plan that decoded, in file order. Checks
    that need a part with a type problem (is a measure key known, has an amount more
    decimals than the payout currency) are left out."""
    return list(_check_parts(parts))


def _decoded(items: Sequence[T | None] | None) -> list[tuple[int, T]]:
    """The items that decoded, with their index in the file."""
    return [(index, item) for index, item in enumerate(items or ()) if item is not None]


def _complete(items: Sequence[object | None] | None) -> bool:
    """Whether a list and each of its items decoded."""
    return items is not None and all(item is not None for item in items)


def _check_parts(parts: PlanParts) -> Iterator[Problem]:
    plan = parts.settings
    if plan is not None:
        yield from _check_settings(plan)
    measures = _decoded(parts.measures)
    components: list[tuple[int, Component]] = _decoded(parts.components)
    all_measures, all_components = _complete(parts.measures), _complete(parts.components)
    has_spiff = any(isinstance(c, SpiffComponent) for _, c in components)
    if all_measures and not measures and all_components and not has_spiff:
        yield Problem("measures", "a plan needs at least one measure")
    yield from _check_unique([(index, m.key) for index, m in measures], "measures")
    for index, measure in measures:
        yield from _check_measure(measure, f"measures[{index}]")
    if all_components and not components:
        yield Problem("components", "a plan needs at least one component")
    yield from _check_unique([(index, c.key) for index, c in components], "components")
    for index, component in components:
        if component.key in ADJUSTMENT_KEYS:
            yield Problem(f"components[{index}].key", f"'{component.key}' names an adjustment line")
    by_key = {m.key: m for _, m in measures}
    currency = None if plan is None else plan.payout_currency
    for index, component in components:
        path = f"components[{index}]"
        yield from _check_component(component, by_key, all_measures, currency, path)
    if plan is not None:
        yield from _check_cap_draw_clawback(plan)


def _check_settings(plan: CommissionPlan) -> Iterator[Problem]:
    if not _KEY.match(plan.key):
        yield Problem("key", "use lower-case letters, digits, '-' and '_' only")
    elif len(plan.key) > MAX_KEY:
        yield Problem("key", f"at most {MAX_KEY} characters")
    if plan.version < 1:
        yield Problem("version", "must be 1 or more")
    if plan.effective.to < plan.effective.from_:
        yield Problem("effective.to", "ends before the plan starts")
    if not 1 <= plan.fiscal_year_starts <= 12:
        yield Problem("fiscal_year_starts", "must be a month number, 1 to 12")
    if not is_known_currency(plan.payout_currency):
        yield Problem("payout_currency", f"not an ISO 4217 currency: {plan.payout_currency!r}")
    if plan.true_up == "year_to_date" and plan.period == "year":
        yield Problem("true_up", "a year-to-date true-up needs a period shorter than a year")
    yield from _check_crediting(plan)


def _check_cap_draw_clawback(plan: CommissionPlan) -> Iterator[Problem]:
    if plan.cap is not None:
        yield from _check_cap(plan.cap, "cap", plan.payout_currency)
    if plan.draw is not None:
        yield from _check_draw(plan.draw, plan)
    if plan.clawback is not None and not 1 <= plan.clawback.within_days <= MAX_CLAWBACK_DAYS:
        yield Problem("clawback.within_days", f"must be between 1 and {MAX_CLAWBACK_DAYS}")


def _check_draw(draw: Draw, plan: CommissionPlan) -> Iterator[Problem]:
    yield from _check_money(draw.amount, "draw.amount", plan.payout_currency, positive=True)
    if draw.for_periods is not None and draw.for_periods < 1:
        yield Problem("draw.for_periods", "must be 1 or more (or left out for every period)")
    if draw.counts_from is not None and draw.for_periods is None:
        yield Problem("draw.counts_from", "says where for_periods count from, but there is none")
    if draw.until is not None and draw.until < plan.effective.from_:
        yield Problem("draw.until", "is before the plan starts, so the draw would never pay")
    if not draw.recoverable:
        for given, name in (
            (draw.recovery, "recovery"),
            (draw.max_recovery_per_period, "max_recovery_per_period"),
        ):
            if given is not None:
                yield Problem(f"draw.{name}", "only a recoverable draw is recovered")
    if draw.max_recovery_per_period is not None:
        yield from _check_money(
            draw.max_recovery_per_period,
            "draw.max_recovery_per_period",
            plan.payout_currency,
            positive=True,
        )


def _check_crediting(plan: CommissionPlan) -> Iterator[Problem]:
    levels = plan.crediting.rollup_levels
    if not 0 <= levels <= MAX_ROLLUP_LEVELS:
        yield Problem("crediting.rollup_levels", f"must be between 0 and {MAX_ROLLUP_LEVELS}")
    if not plan.crediting.direct and levels == 0:
        yield Problem("crediting", "with direct: false and no rollup_levels nobody gets credit")


def _check_unique(keys: Sequence[tuple[int, str]], path: str) -> Iterator[Problem]:
    seen: set[str] = set()
    for index, key in keys:
        if not _KEY.match(key):
            yield Problem(f"{path}[{index}].key", "use lower-case letters, digits, '-' and '_'")
        elif len(key) > MAX_KEY:
            yield Problem(f"{path}[{index}].key", f"at most {MAX_KEY} characters")
        if key in seen:
            yield Problem(f"{path}[{index}].key", f"'{key}' is used twice")
        seen.add(key)


def _check_measure(measure: Measure, path: str) -> Iterator[Problem]:
    if measure.where is not None:
        yield from check_condition(measure.where, measure.source, f"{path}.where")
    for index, multiplier in enumerate(measure.multipliers):
        where = f"{path}.multipliers[{index}]"
        if measure.source != "deals":
            yield Problem(where, "multipliers apply to deal measures only")
        yield from check_condition(multiplier.where, measure.source, f"{where}.where")
        if not Decimal(0) < multiplier.factor <= MAX_FACTOR:
            yield Problem(f"{where}.factor", f"must be above 0 and at most {MAX_FACTOR}")


def check_condition(condition: Condition, source: str, path: str) -> Iterator[Problem]:
    """Problems of a condition used to filter ``source`` (``deals`` or ``activities``)."""
    forms = [
        name
        for name, present in (
            ("equals", condition.equals is not None),
            ("in", condition.in_ is not None),
            ("range", condition.at_least is not None or condition.below is not None),
            ("all", condition.all is not None),
            ("any", condition.any is not None),
            ("not", condition.not_ is not None),
        )
        if present
    ]
    if len(forms) != 1:
        yield Problem(path, "use exactly one of: equals, in, at_least/below, all, any, not")
        return
    form = forms[0]
    if form in ("all", "any", "not"):
        if condition.field is not None:
            yield Problem(f"{path}.field", f"'{form}' combines conditions and takes no field")
        children = (
            [condition.not_] if condition.not_ is not None else condition.all or condition.any
        )
        if not children:
            yield Problem(f"{path}.{form}", "needs at least one condition")
        for index, child in enumerate(children or []):
            child_path = f"{path}.not" if form == "not" else f"{path}.{form}[{index}]"
            if child is not None:
                yield from check_condition(child, source, child_path)
        return
    if condition.field is None:
        yield Problem(f"{path}.field", "missing: which field to test")
        return
    kind = field_kind(source, condition.field)
    values = {
        "equals": [condition.equals],
        "in": condition.in_,
        "at_least": [condition.at_least],
        "below": [condition.below],
    }
    if form == "in" and not condition.in_:
        yield Problem(f"{path}.in", "needs at least one value")
    if form == "range" and kind == "text":
        yield Problem(path, f"'{condition.field}' is text: use equals or in, not a range")
        return
    for name, items in values.items():
        for value in items or []:
            if value is not None and not _parses_as(kind, value):
                yield Problem(f"{path}.{name}", f"expected {_KIND_WORDS[kind]}, got {value!r}")


_KIND_WORDS = {"date": "a date (YYYY-MM-DD)", "number": "a number", "any": "a value"}


def _parses_as(kind: str, value: str) -> bool:
    try:
        parse_value(kind, value)
    except ValueError:
        return False
    return True


def _check_component(
    component: Component,
    measures: Mapping[str, Measure],
    all_measures: bool,
    currency: str | None,
    path: str,
) -> Iterator[Problem]:
    """Problems of a component; ``measures`` are those that decoded (``all_measures``: every
    one did), ``currency`` the payout currency (None: it has a type problem)."""
    if component.cap is not None:
        yield from _check_cap(component.cap, f"{path}.cap", currency)
    if isinstance(component, SpiffComponent):
        if component.where is not None:
            yield from check_condition(component.where, "deals", f"{path}.where")
        yield from _check_money(component.per_deal, f"{path}.per_deal", currency, positive=True)
        return
    measure = measures.get(component.measure)
    if measure is None:
        if all_measures:
            yield Problem(f"{path}.measure", f"no measure with key '{component.measure}'")
        return
    no_quota = f"measure '{measure.key}' has no quota (add quota: true to the measure)"
    if isinstance(component, BonusComponent):
        if not measure.quota:
            yield Problem(f"{path}.milestones", f"milestones are on attainment, but {no_quota}")
        if not component.milestones:
            yield Problem(f"{path}.milestones", "needs at least one milestone")
        previous: Decimal | None = None
        for index, milestone in enumerate(component.milestones):
            where = f"{path}.milestones[{index}]"
            if milestone.attainment <= 0:
                yield Problem(f"{where}.attainment", "must be above 0%")
            if previous is not None and milestone.attainment <= previous:
                yield Problem(f"{where}.attainment", "milestones must go up in order")
            previous = milestone.attainment
            yield from _check_money(milestone.amount, f"{where}.amount", currency, positive=True)
        return
    if component.gate is not None:
        if not measure.quota:
            yield Problem(f"{path}.gate", f"a gate is on attainment, but {no_quota}")
        if not Decimal(0) < component.gate <= MAX_FACTOR:
            yield Problem(f"{path}.gate", "must be above 0%")
    if isinstance(component, RateComponent):
        yield from _check_rate(component.rate, component.per_unit, measure, path, currency)
        for index, deal_rate in enumerate(component.deal_rates):
            where = f"{path}.deal_rates[{index}]"
            if measure.source != "deals":
                yield Problem(where, "deal rates apply to deal measures only")
            yield from check_condition(deal_rate.where, "deals", f"{where}.where")
            yield from _check_rate(deal_rate.rate, None, measure, where, currency)
        return
    if component.on == "attainment" and not measure.quota:
        yield Problem(f"{path}.on", f"tiers on attainment need a quota, but {no_quota}")
    yield from _check_tiers(component, measure, path, currency)


def _check_rate(
    rate: Decimal | None,
    per_unit: Decimal | None,
    measure: Measure,
    path: str,
    currency: str | None,
) -> Iterator[Problem]:
    if measure.is_money:
        if per_unit is not None:
            yield Problem(f"{path}.per_unit", "an amount measure is paid by rate (e.g. 8%)")
        if rate is None:
            yield Problem(f"{path}.rate", "missing: the percentage paid, e.g. 8%")
        elif rate < 0:
            yield Problem(f"{path}.rate", "cannot be negative")
        elif rate > MAX_RATE:
            yield Problem(f"{path}.rate", "above 100% of the amount is not plausible")
    else:
        if rate is not None:
            yield Problem(f"{path}.rate", "a count is paid per_unit (an amount), not by rate")
        if per_unit is None:
            yield Problem(f"{path}.per_unit", "missing: the amount paid per unit counted")
        else:
            yield from _check_money(per_unit, f"{path}.per_unit", currency, positive=False)


def _check_tiers(
    component: TieredComponent, measure: Measure, path: str, currency: str | None
) -> Iterator[Problem]:
    if not component.tiers:
        yield Problem(f"{path}.tiers", "needs at least one tier")
        return
    on_attainment = component.on == "attainment"
    previous: Tier | None = None
    last = len(component.tiers) - 1
    for index, tier in enumerate(component.tiers):
        where = f"{path}.tiers[{index}]"
        for name, level in (("from", tier.from_), ("to", tier.to)):
            if level is None:
                continue
            if level.percent != on_attainment:
                expected = "a percentage of quota, e.g. 100%" if on_attainment else "an amount"
                yield Problem(f"{where}.{name}", f"tiers on {component.on} are {expected}")
            elif not on_attainment and measure.is_money:
                yield from _check_money(level.value, f"{where}.{name}", currency, positive=False)
        if index == 0 and tier.from_.value != 0:
            yield Problem(f"{where}.from", "the first tier must start at 0")
        if previous is not None and previous.to is not None:
            if tier.from_.value < previous.to.value:
                yield Problem(
                    f"{where}.from", "overlaps the tier before it (tiers must be in order)"
                )
            elif tier.from_.value > previous.to.value:
                yield Problem(f"{where}.from", "leaves a gap after the tier before it")
        if tier.to is None and index != last:
            yield Problem(f"{where}.to", "missing: only the last tier is open-ended")
        if tier.to is not None and index == last:
            yield Problem(f"{where}.to", "the last tier must be open-ended (leave out 'to')")
        if tier.to is not None and tier.to.value <= tier.from_.value:
            yield Problem(f"{where}.to", "must be above 'from'")
        yield from _check_rate(tier.rate, tier.per_unit, measure, where, currency)
        previous = tier


def _check_cap(cap: Cap, path: str, currency: str | None) -> Iterator[Problem]:
    if (cap.amount is None) == (cap.multiple_of_target is None):
        yield Problem(path, "give exactly one of: amount, multiple_of_target")
    if cap.amount is not None:
        yield from _check_money(cap.amount, f"{path}.amount", currency, positive=True)
    if cap.multiple_of_target is not None and not 0 < cap.multiple_of_target <= MAX_FACTOR:
        yield Problem(f"{path}.multiple_of_target", f"must be above 0 and at most {MAX_FACTOR}")


def _check_money(
    amount: Decimal, path: str, currency: str | None, *, positive: bool
) -> Iterator[Problem]:
    """Problems of an amount in ``currency`` (None: unknown, so its decimals are not checked)."""
    if amount < 0 or (positive and amount == 0):
        yield Problem(path, "must be above 0" if positive else "cannot be negative")
    if currency is None:
        return
    places = exponent(currency) if is_known_currency(currency) else 2
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        yield Problem(path, f"more decimal places than {currency} has ({places})")
