"""The exact Decimal stage: from a participant's aggregated sums to earning lines.

Per period, in order: measures and prorated quotas, each component (gate, tiers or rate,
cap), the plan cap, the year-to-date true-up, clawbacks of cancelled deals, then the draw.
Each line is rounded on its own (half-up unless the plan says otherwise), and the total is
the sum of the rounded lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from msgspec.structs import replace

from incentives.engine.measures import Aggregation, MeasureSpec, spiff_measure
from incentives.engine.money import exponent
from incentives.engine.periods import Period, period_containing
from incentives.engine.plan import (
    BonusComponent,
    Cap,
    CommissionPlan,
    Component,
    RateComponent,
    SpiffComponent,
    TieredComponent,
)
from incentives.engine.results import Line, MeasureResult, Result, TierStep, Trace
from incentives.engine.tiers import Band, graduated, retroactive

_ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN}
Sums = dict[str, dict[int, int]]

# Keys of the adjustment lines (listed in validate.ADJUSTMENT_KEYS, which components avoid).
CAP_LINE, CLAWBACK_LINE, DRAW_LINE, RECOVERY_LINE = "plan_cap", "clawback", "draw", "draw_recovery"


@dataclass(frozen=True)
class Person:
    """What the Decimal stage needs of a participant (``row`` in the participant table)."""

    row: int
    id: str
    name: str
    start_day: int
    end_day: int
    target_incentive: int


@dataclass(frozen=True)
class _Measured:
    """Measure values of one participant-period window, in minor units or counts."""

    sums: Sums
    values: dict[str, Decimal]
    quotas: dict[str, Decimal | None]
    results: tuple[MeasureResult, ...]
    notes: tuple[str, ...]


class Settlement:
    """Turns aggregated sums into results for one participant at a time."""

    def __init__(
        self,
        plan: CommissionPlan,
        specs: Sequence[MeasureSpec],
        schedule: Sequence[Period],
        aggregations: Mapping[str, Aggregation],
        quotas: Mapping[tuple[int, str, str], int],
        reversed_deals: Mapping[tuple[int, int], set[str]],
    ) -> None:
        self.plan = plan
        self.specs = specs
        self.schedule = schedule
        self.aggregations = aggregations
        self.quotas = quotas
        self.reversed_deals = reversed_deals
        self.currency = plan.payout_currency
        self.unit = Decimal(10) ** exponent(self.currency)
        self.rounding = _ROUNDING[plan.rounding]
        self.year_to_date = plan.true_up == "year_to_date"
        self.spec_by_key = {spec.key: spec for spec in specs}
        # Tier boundaries (unscaled) and rates per tiered component, read once.
        self.tiers = {
            c.key: [
                (
                    t.from_.value,
                    None if t.to is None else t.to.value,
                    self._rate_of(t.rate, t.per_unit),
                )
                for t in c.tiers
            ]
            for c in plan.components
            if isinstance(c, TieredComponent)
        }

    # -- helpers -------------------------------------------------------------------------

    def _round(self, minor: Decimal) -> int:
        return int(minor.quantize(Decimal(1), rounding=self.rounding))

    def _major(self, minor: Decimal) -> Decimal:
        return minor / self.unit

    def _line(self, key: str, name: str, amount: int, trace: Trace) -> Line:
        return Line(key, name, amount, self.currency, trace)

    def _window(self, k: int) -> tuple[Period, int]:
        """The measurement window of period ``k`` (the fiscal year so far when true-up is
        year-to-date) and the months it spans so far."""
        period = self.schedule[k]
        if not self.year_to_date:
            return period, period.months
        year = period_containing(period.start, "year", self.plan.fiscal_year_starts)
        months = (period.end.year - year.start.year) * 12 + period.end.month - year.start.month + 1
        return year, months

    # -- the per-participant walk --------------------------------------------------------

    def participant(self, person: Person) -> Iterator[Result]:
        """The participant's results for every period of the schedule it takes part in."""
        fiscal_year: int | None = None
        running: Sums = {}
        paid: dict[str, int] = {}
        period_totals: dict[int, int] = {}
        removed: dict[int, Sums] = {}
        draw_balance = 0
        for k, period in enumerate(self.schedule):
            if period.fiscal_year != fiscal_year:
                fiscal_year, running, paid = period.fiscal_year, {}, {}
            sums = self._sums(person.row, k)
            own_credit = any(any(groups.values()) for groups in sums.values())
            if self.year_to_date:
                running = _add(running, sums)
                sums = running
            active = _overlap(person, period.start.toordinal(), period.end.toordinal())
            reversals = self._reversals(person.row, k)
            if active == 0 and not reversals and not any(sums.values()):
                continue
            measured = self._measure(person, k, sums)
            lines = self._component_lines(person, k, measured)
            if self.year_to_date:
                lines = [self._true_up(line, paid) for line in lines]
            period_totals[k] = sum(line.amount for line in lines)
            if reversals:
                lines.append(self._clawback(person, k, reversals, period_totals, removed))
            draw_lines, draw_balance = self._draw(
                person, k, sum(x.amount for x in lines), draw_balance
            )
            lines.extend(draw_lines)
            lines = [line for line in lines if line.amount != 0]
            notes = measured.notes
            if self.year_to_date and (person.row, k) in self.reversed_deals:
                deals = ", ".join(sorted(self.reversed_deals[(person.row, k)]))
                notes += (
                    f"Cancelled within the clawback window, so removed from year-to-date "
                    f"credit: {deals}",
                )
            # Show a period with credit, pay or (outside year-to-date plans) a quota of its own.
            stated = not self.year_to_date and any(
                m.full_quota is not None for m in measured.results
            )
            if not (lines or stated or own_credit):
                continue
            yield Result(
                participant_id=person.id,
                participant_name=person.name,
                period=period.label,
                currency=self.currency,
                measures=measured.results,
                lines=tuple(lines),
                total=sum(line.amount for line in lines),
                notes=notes,
            )

    def _sums(self, row: int, k: int) -> Sums:
        return {name: agg.cells.get((row, k), {}) for name, agg in self.aggregations.items()}

    def _reversals(self, row: int, k: int) -> dict[int, Sums]:
        """Credit reversed in period ``k``, by the close period it was credited in."""
        out: dict[int, Sums] = {}
        for name, agg in self.aggregations.items():
            for close, groups in agg.reversals.get((row, k), {}).items():
                out.setdefault(close, {})[name] = groups
        return out

    # -- measures ------------------------------------------------------------------------

    def _measure(self, person: Person, k: int, sums: Sums, *, explain: bool = True) -> _Measured:
        window, _months = self._window(k)
        days = window.days
        active = _overlap(person, window.start.toordinal(), window.end.toordinal())
        values: dict[str, Decimal] = {}
        quotas: dict[str, Decimal | None] = {}
        results: list[MeasureResult] = []
        notes: list[str] = []
        for spec in self.specs:
            agg = self.aggregations[spec.key]
            groups = sums.get(spec.key, {})
            value = agg.value(groups)
            values[spec.key] = value
            if spec.hidden:
                continue
            quota = full = None
            if spec.quota:
                stated = self.quotas.get((person.row, window.label, spec.key))
                if stated is None:
                    notes.append(f"No quota for {spec.name} in {window.label}.")
                else:
                    full = Decimal(stated)
                    quota = (
                        full if active >= days else Decimal(_round_half_up(full * active / days))
                    )
            quotas[spec.key] = quota
            if not explain:
                continue
            scale = self.unit if spec.is_money else Decimal(1)
            multiplied = self._multiplied(spec, agg, groups, scale)
            results.append(
                MeasureResult(
                    key=spec.key,
                    name=spec.name,
                    is_money=spec.is_money,
                    value=value / scale,
                    quota=None if quota is None else quota / scale,
                    full_quota=None if full is None else full / scale,
                    days_active=active,
                    days_in_period=days,
                    attainment=value / quota if quota else None,
                    multiplied=multiplied,
                    year_to_date=self.year_to_date,
                )
            )
        return _Measured(sums, values, quotas, tuple(results), tuple(notes))

    def _multiplied(
        self, spec: MeasureSpec, agg: Aggregation, groups: Mapping[int, int], scale: Decimal
    ) -> tuple[tuple[Decimal, Decimal], ...]:
        """Credit that a multiplier changed: (factor, credit before the factor)."""
        if not spec.multipliers:
            return ()
        n_mult = len(spec.multipliers) + 1
        before: dict[int, Decimal] = {}
        for g, v in groups.items():
            mult = g % n_mult
            if mult:
                factor = spec.multipliers[mult - 1].factor
                before[mult] = before.get(mult, Decimal(0)) + Decimal(v) * agg.weights[g] / factor
        return tuple((spec.multipliers[m - 1].factor, before[m] / scale) for m in sorted(before))

    # -- components ----------------------------------------------------------------------

    def _component_lines(
        self, person: Person, k: int, measured: _Measured, *, explain: bool = True
    ) -> list[Line]:
        """Each component's line, then the plan cap; ``explain=False`` leaves tier steps out
        of the traces (for recomputations that only need amounts)."""
        _window, months = self._window(k)
        target = Decimal(person.target_incentive) * months / 12
        lines: list[Line] = []
        for component in self.plan.components:
            earned, trace = self._earn(component, measured, explain)
            if component.cap is not None:
                earned, trace = self._apply_cap(earned, trace, component.cap, target)
            amount = self._round(earned)
            trace = replace(trace, unrounded=self._major(earned), rounding=self.plan.rounding)
            lines.append(self._line(component.key, component.name, amount, trace))
        if self.plan.cap is not None:
            limit = self._cap_limit(self.plan.cap, target)
            subtotal = sum(line.amount for line in lines)
            # Always present (zero when not reached) so a year-to-date true-up can undo it.
            excess = min(0, self._round(limit - subtotal))
            trace = Trace(
                kind="plan_cap", cap=self._major(limit), before_cap=self._major(Decimal(subtotal))
            )
            lines.append(self._line(CAP_LINE, "Plan cap", excess, trace))
        return lines

    def _cap_limit(self, cap: Cap, target: Decimal) -> Decimal:
        if cap.amount is not None:
            return cap.amount * self.unit
        assert cap.multiple_of_target is not None  # guaranteed by plan validation
        return cap.multiple_of_target * target

    def _apply_cap(
        self, earned: Decimal, trace: Trace, cap: Cap, target: Decimal
    ) -> tuple[Decimal, Trace]:
        limit = self._cap_limit(cap, target)
        if earned <= limit:
            return earned, replace(trace, cap=self._major(limit))
        return limit, replace(trace, cap=self._major(limit), before_cap=self._major(earned))

    def _earn(
        self, component: Component, measured: _Measured, explain: bool
    ) -> tuple[Decimal, Trace]:
        if isinstance(component, SpiffComponent):
            count = measured.values[spiff_measure(component.key)]
            step = _flat_step(count, component.per_deal)
            return step.earned * self.unit, Trace(kind="spiff", steps=(step,))
        spec = self.spec_by_key[component.measure]
        value = measured.values[spec.key]
        quota = measured.quotas.get(spec.key)
        if isinstance(component, BonusComponent):
            return self._bonus(component, value, quota)
        trace = Trace(kind=str(component.__struct_config__.tag), measure=spec.key)
        if component.gate is not None:
            met = quota is not None and quota > 0 and value >= component.gate * quota
            trace = replace(trace, gate=component.gate, gate_met=met)
            if not met:
                return Decimal(0), trace
        if isinstance(component, RateComponent):
            return self._rate(component, spec, value, measured.sums, trace, explain)
        return self._tiered(component, spec, value, quota, trace, explain)

    def _rate(
        self,
        component: RateComponent,
        spec: MeasureSpec,
        value: Decimal,
        sums: Sums,
        trace: Trace,
        explain: bool,
    ) -> tuple[Decimal, Trace]:
        rate = self._rate_of(component.rate, component.per_unit)
        if not component.deal_rates:
            return value * rate, self._with_steps(trace, [_flat_step(value, rate)], spec, explain)
        # Per-deal rates: the component's own aggregation has one group per deal rate.
        agg = self.aggregations[f"rates:{component.key}"]
        base_by_rate: dict[Decimal, Decimal] = {}
        for g, v in sums.get(f"rates:{component.key}", {}).items():
            base_by_rate[agg.rates[g]] = (
                base_by_rate.get(agg.rates[g], Decimal(0)) + Decimal(v) * agg.weights[g]
            )
        steps = [_flat_step(base, r) for r, base in sorted(base_by_rate.items())]
        earned = sum((s.earned for s in steps), Decimal(0))
        return earned, self._with_steps(trace, steps, spec, explain)

    def _rate_of(self, rate: Decimal | None, per_unit: Decimal | None) -> Decimal:
        if rate is not None:
            return Decimal(rate)
        assert per_unit is not None  # guaranteed by plan validation
        return per_unit * self.unit

    def _tiered(
        self,
        component: TieredComponent,
        spec: MeasureSpec,
        value: Decimal,
        quota: Decimal | None,
        trace: Trace,
        explain: bool,
    ) -> tuple[Decimal, Trace]:
        trace = replace(trace, method=f"{component.method} on {component.on}")
        if component.on == "attainment":
            if quota is None or quota <= 0:
                return Decimal(0), replace(trace, note="no quota: attainment tiers pay nothing")
            scale = quota
        else:
            scale = self.unit if spec.is_money else Decimal(1)
        bands = [
            Band(lower * scale, None if upper is None else upper * scale, rate)
            for lower, upper, rate in self.tiers[component.key]
        ]
        pay = graduated if component.method == "graduated" else retroactive
        earned, steps = pay(value, bands)
        return earned, self._with_steps(trace, steps, spec, explain)

    def _with_steps(
        self, trace: Trace, steps: Sequence[TierStep], spec: MeasureSpec, explain: bool
    ) -> Trace:
        if not explain:
            return trace
        return replace(trace, steps=tuple(self._step_major(s, spec) for s in steps))

    def _step_major(self, step: TierStep, spec: MeasureSpec) -> TierStep:
        """A tier step with amounts in major units (counts stay counts; per-unit rates are
        amounts, so they become major units too)."""
        scale = self.unit if spec.is_money else Decimal(1)
        rate = step.rate if spec.is_money else step.rate / self.unit
        return TierStep(
            lower=step.lower / scale,
            upper=None if step.upper is None else step.upper / scale,
            rate=rate,
            base=step.base / scale,
            earned=step.earned / self.unit,
        )

    def _bonus(
        self, component: BonusComponent, value: Decimal, quota: Decimal | None
    ) -> tuple[Decimal, Trace]:
        reached = [
            quota is not None and quota > 0 and value >= m.attainment * quota
            for m in component.milestones
        ]
        earned = sum(
            (
                m.amount * self.unit
                for m, hit in zip(component.milestones, reached, strict=True)
                if hit
            ),
            Decimal(0),
        )
        milestones = tuple(
            (Decimal(m.attainment), m.amount, hit)
            for m, hit in zip(component.milestones, reached, strict=True)
        )
        return earned, Trace(kind="bonus", measure=component.measure, milestones=milestones)

    # -- true-up, clawback, draw ---------------------------------------------------------

    def _true_up(self, line: Line, paid: dict[str, int]) -> Line:
        """Year-to-date amount minus what earlier periods of the year already paid."""
        before = paid.get(line.component, 0)
        paid[line.component] = line.amount
        trace = replace(
            line.trace,
            year_to_date=self._major(Decimal(line.amount)),
            previously_paid=self._major(Decimal(before)),
        )
        return replace(line, amount=line.amount - before, trace=trace)

    def _clawback(
        self,
        person: Person,
        k: int,
        reversals: dict[int, Sums],
        period_totals: dict[int, int],
        removed: dict[int, Sums],
    ) -> Line:
        """Recompute each close period without the cancelled deals; the difference from what
        it paid is taken back now. Successive clawbacks telescope, so a deal won and later
        cancelled nets to exactly zero."""
        change = 0
        for close in sorted(reversals):
            removed[close] = _add(removed.get(close, {}), reversals[close])
            sums = _subtract(self._sums(person.row, close), removed[close])
            measured = self._measure(person, close, sums, explain=False)
            recomputed = self._component_lines(person, close, measured, explain=False)
            after = sum(line.amount for line in recomputed)
            change += after - period_totals[close]
            period_totals[close] = after
        deals = tuple(sorted(self.reversed_deals.get((person.row, k), set())))
        trace = Trace(kind="clawback", deals=deals, unrounded=self._major(Decimal(change)))
        return self._line(CLAWBACK_LINE, "Clawback of cancelled deals", change, trace)

    def _draw(self, person: Person, k: int, earned: int, balance: int) -> tuple[list[Line], int]:
        draw = self.plan.draw
        if draw is None:
            return [], balance
        amount = int(draw.amount * self.unit)
        start = period_containing(
            date_of(person.start_day), self.plan.period, self.plan.fiscal_year_starts
        )
        since_start = _periods_between(start, self.schedule[k])
        applies = since_start >= 0 and (draw.for_periods is None or since_start < draw.for_periods)
        lines: list[Line] = []
        floor = amount if applies else 0
        if applies and earned < amount:
            top_up = amount - earned
            balance += top_up if draw.recoverable else 0
            trace = Trace(
                kind="draw",
                draw=self._major(Decimal(amount)),
                draw_balance=self._major(Decimal(balance)),
            )
            lines.append(self._line(DRAW_LINE, "Draw", top_up, trace))
        elif balance > 0 and earned > floor:
            limit = earned - floor
            if draw.max_recovery_per_period is not None:
                limit = min(limit, int(draw.max_recovery_per_period * self.unit))
            recovered = min(balance, limit)
            balance -= recovered
            trace = Trace(
                kind="draw_recovery",
                draw=self._major(Decimal(amount)),
                draw_balance=self._major(Decimal(balance)),
            )
            lines.append(self._line(RECOVERY_LINE, "Draw recovery", -recovered, trace))
        return lines, balance


def _flat_step(base: Decimal, rate: Decimal) -> TierStep:
    return TierStep(Decimal(0), None, rate, base, base * rate)


def _round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _overlap(person: Person, first: int, last: int) -> int:
    return max(0, min(last, person.end_day) - max(first, person.start_day) + 1)


def _periods_between(first: Period, second: Period) -> int:
    months = (second.start.year - first.start.year) * 12 + second.start.month - first.start.month
    return months // second.months


def date_of(day: int) -> dt.date:
    """The date of a day number."""
    return dt.date.fromordinal(day)


def _add(left: Sums, right: Sums) -> Sums:
    out = {name: dict(groups) for name, groups in left.items()}
    for name, groups in right.items():
        target = out.setdefault(name, {})
        for g, v in groups.items():
            target[g] = target.get(g, 0) + v
    return out


def _subtract(left: Sums, right: Sums) -> Sums:
    return _add(left, {name: {g: -v for g, v in groups.items()} for name, groups in right.items()})
