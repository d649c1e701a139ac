"""The exact stage: from aggregated sums to earning lines, set-wise.

A point is a participant's period to settle, or a close period recomputed without the
deals cancelled so far (clawback). Measures, quotas and every component's pay (gate,
tiers or rate, cap, rounding, plan cap) are worked out for all points at once over numpy
object arrays of Decimals: each element goes through the same exact Decimal operations a
computation of one point would. A walk per participant then adds what carries from one
period to the next (year-to-date true-up, clawbacks, draw). Each line is rounded on its
own (half-up unless the plan says otherwise), and a total is the sum of its rounded lines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from incentives.engine.aggregate import GroupSums
from incentives.engine.basis import Target, spiff_shares
from incentives.engine.draws import Draws
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
from incentives.engine.results import Line, LineKind, MeasureResult, Result, TierStep, Trace
from incentives.engine.tables import BoolArray, IntArray, ParticipantTable
from incentives.engine.tiers import Bands, graduated_points, retroactive_points

ObjArray = npt.NDArray[np.object_]
# Trace fields of one point's line, by field name.
Fields = dict[str, Any]
Describe = Callable[[int], Fields]

_ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN}
_ZERO, _ONE = Decimal(0), Decimal(1)


class _RateClass(NamedTuple):
    """The credit of one deal rate per point: the rate as first met, its base, and whether
    any credit has that rate."""

    rate: ObjArray
    base: ObjArray
    present: BoolArray


@dataclass(frozen=True, eq=False)
class _Points:
    """Measure values per point (hidden spiff counts included), prorated quotas (None: no
    quota), the target incentive for the window (with the annual target and the months it
    is pro rata to), per component with deal rates the credit by rate in rate order, and
    per spiff its qualifying deals by share (main points only)."""

    values: dict[str, ObjArray]
    quotas: dict[str, ObjArray]
    target: Target
    rate_classes: dict[str, list[_RateClass]]
    shares: Mapping[str, Describe] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.target.window)


@dataclass(frozen=True, eq=False)
class _Paid:
    """Per line (components, then the plan cap), each point's amount and, when explained,
    how to describe its trace."""

    amounts: list[list[int]]
    describe: list[Describe] | None
    total: list[int]


class Settlement:
    """Turns aggregated sums into results for every participant and period at once."""

    def __init__(
        self,
        plan: CommissionPlan,
        specs: Sequence[MeasureSpec],
        schedule: Sequence[Period],
        aggregations: Mapping[str, Aggregation],
        quotas: Mapping[tuple[int, str, str], int],
        reversed_deals: Mapping[tuple[int, int], tuple[str, ...]],
        people: ParticipantTable,
    ) -> None:
        self.plan = plan
        self.specs = specs
        self.schedule = schedule
        self.aggregations = aggregations
        self.quotas = quotas
        self.reversed_deals = reversed_deals
        self.people = people
        self.currency = plan.payout_currency
        self.unit = Decimal(10) ** exponent(self.currency)
        self.rounding = _ROUNDING[plan.rounding]
        self.year_to_date = plan.true_up == "year_to_date"
        self.spec_by_key = {spec.key: spec for spec in specs}
        self.windows = [self._window(k) for k in range(len(schedule))]
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

    def _round(self, minor: ObjArray) -> list[int]:
        rounding = self.rounding
        return [int(x.quantize(_ONE, rounding=rounding)) for x in minor.tolist()]

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

    def _rate_of(self, rate: Decimal | None, per_unit: Decimal | None) -> Decimal:
        if rate is not None:
            return Decimal(rate)
        assert per_unit is not None  # guaranteed by plan validation
        return per_unit * self.unit

    # -- which periods, and their measures -----------------------------------------------

    def results(self, rows: Sequence[int]) -> list[Result]:
        """Results of the given participant rows (in that order), period by period, for
        every period each of them takes part in."""
        periods = len(self.schedule)
        grid = len(self.people) * periods
        present = np.zeros(grid, np.bool_)
        own_credit = np.zeros(grid, np.bool_)
        reversed_here = np.zeros(grid, np.bool_)
        for agg in self.aggregations.values():
            cell = agg.cells.participant * periods + agg.cells.period
            present[cell] = True
            own_credit[cell[agg.cells.total != 0]] = True
            if agg.reversals is not None:
                reversed_here[agg.reversals.participant * periods + agg.reversals.period] = True
        if self.year_to_date:
            # Year-to-date sums carry the year's earlier periods.
            running = present.reshape(len(self.people), periods)
            for j in range(1, periods):
                if self.schedule[j].fiscal_year == self.schedule[j - 1].fiscal_year:
                    running[:, j] |= running[:, j - 1]
        person = np.repeat(np.asarray(rows, np.int64), periods)
        k = np.tile(np.arange(periods, dtype=np.int64), len(rows))
        first = np.array([p.start.toordinal() for p in self.schedule], np.int64)
        last = np.array([p.end.toordinal() for p in self.schedule], np.int64)
        active = _overlap(self.people, person, first[k], last[k])
        cell = person * periods + k
        chosen = np.flatnonzero((active > 0) | reversed_here[cell] | present[cell])
        person, k, cell = person[chosen], k[chosen], cell[chosen]
        point_of = np.full(grid, -1, np.int64)
        point_of[cell] = np.arange(len(cell))

        windows = _Windows.of(self, person, k)
        groups = {
            name: self._point_groups(agg.cells, point_of) for name, agg in self.aggregations.items()
        }
        numerators = {
            name: [
                agg.numerators(*_members(groups[name], members), len(person))
                for members in _classes(agg)
            ]
            for name, agg in self.aggregations.items()
        }
        values = {
            name: agg.values(numerators[name][0])
            for name, agg in self.aggregations.items()
            if not agg.rates
        }
        rate_classes = {
            name.removeprefix("rates:"): _rate_classes(agg, *groups[name], len(person))
            for name, agg in self.aggregations.items()
            if agg.rates
        }
        shares = {
            spec.key: spiff_shares(self.aggregations[spec.key].weights, *groups[spec.key])
            for spec in self.specs
            if spec.hidden
        }
        main = _Points(values, windows.quotas, windows.target, rate_classes, shares)
        paid = self._pay(main, explain=True)
        clawbacks = self._clawbacks(point_of, person, numerators, main)
        multiplied = {
            spec.key: self._multiplied(spec, groups[spec.key], len(person))
            for spec in self.specs
            if spec.multipliers and not spec.hidden
        }
        walk = _Walk(self, person, k, windows, main, paid, clawbacks, multiplied)
        return walk.results(own_credit[cell], reversed_here[cell])

    def _point_groups(self, cells: GroupSums, point_of: IntArray) -> _Groups:
        """Sums by (point, group), sorted; year-to-date points add the year's earlier
        periods."""
        periods = len(self.schedule)
        participant, period, group, total = (
            cells.participant,
            cells.period,
            cells.group,
            cells.total,
        )
        if self.year_to_date:
            fiscal = np.array([p.fiscal_year for p in self.schedule], np.int64)
            parts = []
            for ahead in range(periods):
                later = period + ahead
                keep = np.flatnonzero(later < periods)
                keep = keep[fiscal[later[keep]] == fiscal[period[keep]]]
                parts.append((participant[keep], later[keep], group[keep], total[keep]))
            participant, period, group, total = (
                np.concatenate(c) for c in zip(*parts, strict=True)
            )
        point = point_of[participant * periods + period]
        width = int(group.max(initial=0)) + 1
        key, inverse = np.unique(point * width + group, return_inverse=True)
        sums = np.zeros(len(key), np.int64)
        np.add.at(sums, inverse, total)
        return _Groups(key // width, key % width, sums)

    def _clawbacks(
        self,
        point_of: IntArray,
        person: IntArray,
        numerators: Mapping[str, list[ObjArray]],
        main: _Points,
    ) -> _Clawbacks:
        """Recompute close periods without the credit reversed so far: one point per
        (participant, cancel period, close period), only amounts."""
        periods = len(self.schedule)
        keyed: dict[str, _Groups] = {}
        for name, agg in self.aggregations.items():
            if agg.reversals is not None and len(agg.reversals):
                rev = agg.reversals
                close, group = np.divmod(rev.group, len(agg.weights))
                at = point_of[rev.participant * periods + rev.period]
                keyed[name] = _Groups(at * periods + close, group, rev.total)
        if not keyed:
            empty = np.zeros(0, np.int64)
            return _Clawbacks(empty, empty, [])
        # Ordered by cancel point, then close period, as the walk takes them.
        keys = np.unique(np.concatenate([g.point for g in keyed.values()]))
        at, close = np.divmod(keys, periods)
        base = point_of[person[at] * periods + close]
        # Removals accumulate per close period, in cancel order.
        order = np.lexsort((at, base))
        ordered = base[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        values: dict[str, ObjArray] = {}
        rate_classes: dict[str, list[_RateClass]] = {}
        for name, agg in self.aggregations.items():
            kept: list[ObjArray] = []
            for index, members in enumerate(_classes(agg)):
                left = numerators[name][index][base]
                if name in keyed:
                    point, group, total = _members(keyed[name], members)
                    removed = agg.numerators(np.searchsorted(keys, point), group, total, len(keys))
                    left = left - _running(removed, order, starts)
                kept.append(left)
            if agg.rates:
                rate_classes[name.removeprefix("rates:")] = [
                    _RateClass(c.rate[base], agg.values(n), c.present[base])
                    for c, n in zip(
                        main.rate_classes[name.removeprefix("rates:")], kept, strict=True
                    )
                ]
            else:
                values[name] = agg.values(kept[0])
        quotas = {key: quota[base] for key, quota in main.quotas.items()}
        points = _Points(values, quotas, main.target.at(base), rate_classes)
        return _Clawbacks(at, close, self._pay(points, explain=False).total)

    def _multiplied(
        self, spec: MeasureSpec, groups: _Groups, points: int
    ) -> list[tuple[tuple[Decimal, Decimal], ...]]:
        """Per point, credit that a multiplier changed: (factor, credit before the factor)."""
        agg = self.aggregations[spec.key]
        scale = self.unit if spec.is_money else _ONE
        n_mult = len(spec.multipliers) + 1
        before = {m: np.full(points, _ZERO, dtype=object) for m in range(1, n_mult)}
        seen = {m: np.zeros(points, np.bool_) for m in range(1, n_mult)}
        for g in np.unique(groups.group).tolist():
            mult = g % n_mult
            if not mult:
                continue
            rows = np.flatnonzero(groups.group == g)
            at = groups.point[rows]
            credit = _decimals(groups.total[rows]) * agg.weights[g]
            before[mult][at] = before[mult][at] + credit / spec.multipliers[mult - 1].factor
            seen[mult][at] = True
        shown = {m: (spec.multipliers[m - 1].factor, before[m] / scale) for m in before}
        return [
            tuple((factor, amounts[i]) for m, (factor, amounts) in shown.items() if seen[m][i])
            for i in range(points)
        ]

    # -- pay, for many points at once ----------------------------------------------------

    def _pay(self, points: _Points, *, explain: bool) -> _Paid:
        """Each component's line, then the plan cap; ``explain=False`` skips traces (for
        recomputations that only need amounts)."""
        amounts: list[list[int]] = []
        described: list[Describe] = []
        for component in self.plan.components:
            earned, describe = self._earn(component, points)
            if component.cap is not None:
                earned, describe = self._apply_cap(earned, describe, component.cap, points.target)
            amounts.append(self._round(earned))
            if explain:
                described.append(self._rounded(earned, describe))
        total = [sum(line) for line in zip(*amounts, strict=True)] or [0] * len(points)
        if self.plan.cap is not None:
            limit = self._cap_limit(self.plan.cap, points.target)
            subtotal: ObjArray = np.array(total, dtype=object)
            # Always present (zero when not reached) so a year-to-date true-up can undo it.
            excess = [min(0, x) for x in self._round(limit - subtotal)]
            amounts.append(excess)
            total = [t + x for t, x in zip(total, excess, strict=True)]
            if explain:
                cap = _spread(limit / self.unit, len(points))
                before = _decimals(subtotal) / self.unit
                basis = points.target.cap_basis(self.plan.cap.multiple_of_target, self.unit)

                def plan_cap(i: int) -> Fields:
                    return {
                        "kind": LineKind.PLAN_CAP,
                        "cap": cap[i],
                        "before_cap": before[i],
                        **basis(i),
                    }

                described.append(plan_cap)
        return _Paid(amounts, described if explain else None, total)

    def _rounded(self, earned: ObjArray, describe: Describe) -> Describe:
        unrounded = earned / self.unit
        rounding = self.plan.rounding

        def fields(i: int) -> Fields:
            return {**describe(i), "unrounded": unrounded[i], "rounding": rounding}

        return fields

    def _cap_limit(self, cap: Cap, target: Target) -> ObjArray | Decimal:
        if cap.amount is not None:
            return cap.amount * self.unit
        assert cap.multiple_of_target is not None  # guaranteed by plan validation
        limit: ObjArray = cap.multiple_of_target * target.window
        return limit

    def _apply_cap(
        self, earned: ObjArray, describe: Describe, rule: Cap, target: Target
    ) -> tuple[ObjArray, Describe]:
        limit = self._cap_limit(rule, target)
        within = earned <= limit
        cap = _spread(limit / self.unit, len(earned))
        before = earned / self.unit
        basis = target.cap_basis(rule.multiple_of_target, self.unit)

        def fields(i: int) -> Fields:
            out = {**describe(i), "cap": cap[i], **basis(i)}
            if not within[i]:
                out["before_cap"] = before[i]
            return out

        return np.where(within, earned, _spread(limit, len(earned))), fields

    def _earn(self, component: Component, points: _Points) -> tuple[ObjArray, Describe]:
        if isinstance(component, SpiffComponent):
            count = points.values[spiff_measure(component.key)]
            per_deal = component.per_deal
            step = count * per_deal
            shares = points.shares.get(spiff_measure(component.key))

            def spiff(i: int) -> Fields:
                return {
                    "kind": LineKind.SPIFF,
                    "steps": (TierStep(_ZERO, None, per_deal, count[i], step[i]),),
                    **(shares(i) if shares else {}),
                }

            return step * self.unit, spiff
        spec = self.spec_by_key[component.measure]
        value = points.values[spec.key]
        has_quota, quota = _quota(points, spec.key)
        if isinstance(component, BonusComponent):
            return self._bonus(component, value, has_quota, quota)
        head: Fields = {"kind": LineKind(str(component.__struct_config__.tag)), "measure": spec.key}
        met = np.ones(len(points), np.bool_)
        if component.gate is not None:
            met = has_quota & (value >= component.gate * quota)
        if isinstance(component, RateComponent):
            earned, describe = self._rate(component, spec, value, points)
        else:
            earned, describe = self._tiered(component, spec, value, has_quota, quota)
        gate = component.gate

        def fields(i: int) -> Fields:
            out = dict(head)
            if gate is not None:
                out["gate"], out["gate_met"] = gate, bool(met[i])
                if not met[i]:
                    return out
            return {**out, **describe(i)}

        return np.where(met, earned, _spread(_ZERO, len(earned))), fields

    def _rate(
        self, component: RateComponent, spec: MeasureSpec, value: ObjArray, points: _Points
    ) -> tuple[ObjArray, Describe]:
        step = self._step_major(spec)
        if not component.deal_rates:
            rate = self._rate_of(component.rate, component.per_unit)
            earned = value * rate
            steps = [step(_ZERO, None, rate, value, earned)]

            def flat(i: int) -> Fields:
                return {"steps": tuple(s(i) for s in steps)}

            return earned, flat
        # Per-deal rates: one step per rate that some credit has, in rate order.
        classes = points.rate_classes[component.key]
        total: ObjArray = np.full(len(points), _ZERO, dtype=object)
        pieces = []
        for c in classes:
            piece = c.base * c.rate
            total = np.where(c.present, total + piece, total)
            pieces.append((c.present, step(_ZERO, None, c.rate, c.base, piece)))

        def by_rate(i: int) -> Fields:
            return {"steps": tuple(s(i) for present, s in pieces if present[i])}

        return total, by_rate

    def _tiered(
        self,
        component: TieredComponent,
        spec: MeasureSpec,
        value: ObjArray,
        has_quota: BoolArray,
        quota: ObjArray,
    ) -> tuple[ObjArray, Describe]:
        method = f"{component.method} on {component.on}"
        paying = np.ones(len(value), np.bool_)
        scale: ObjArray | Decimal = self.unit if spec.is_money else _ONE
        if component.on == "attainment":
            paying, scale = has_quota, quota
        n = len(value)
        tiers = [
            Bands(
                _spread(lower * scale, n),
                None if upper is None else _spread(upper * scale, n),
                rate,
            )
            for lower, upper, rate in self.tiers[component.key]
        ]
        step = self._step_major(spec)
        if component.method == "graduated":
            earned, slices = graduated_points(value, tiers)
            steps = [(s.crossed, step(s.lower, s.upper, s.rate, s.base, s.earned)) for s in slices]
        else:
            earned, reached = retroactive_points(value, tiers)
            steps = [
                (reached == index, step(b.lower, b.upper, b.rate, value, earned))
                for index, b in enumerate(tiers)
            ]

        def fields(i: int) -> Fields:
            if not paying[i]:
                return {"method": method, "note": "no quota: attainment tiers pay nothing"}
            return {"method": method, "steps": tuple(s(i) for crossed, s in steps if crossed[i])}

        return np.where(paying, earned, _spread(_ZERO, len(earned))), fields

    def _step_major(self, spec: MeasureSpec) -> Callable[..., Callable[[int], TierStep]]:
        """Tier steps with amounts in major units (counts stay counts; per-unit rates are
        amounts, so they become major units too)."""
        unit = self.unit
        scale = unit if spec.is_money else _ONE

        def step(
            lower: ObjArray | Decimal,
            upper: ObjArray | None,
            rate: ObjArray | Decimal,
            base: ObjArray,
            earned: ObjArray,
        ) -> Callable[[int], TierStep]:
            n = len(base)
            low = _spread(lower / scale, n)
            high = None if upper is None else upper / scale
            rates = _spread(rate if spec.is_money else rate / unit, n)
            shown, paid = base / scale, earned / unit
            return lambda i: TierStep(
                low[i], None if high is None else high[i], rates[i], shown[i], paid[i]
            )

        return step

    def _bonus(
        self, component: BonusComponent, value: ObjArray, has_quota: BoolArray, quota: ObjArray
    ) -> tuple[ObjArray, Describe]:
        earned: ObjArray = np.full(len(value), _ZERO, dtype=object)
        reached = []
        for m in component.milestones:
            hit = has_quota & (value >= m.attainment * quota)
            earned = np.where(hit, earned + m.amount * self.unit, earned)
            reached.append((Decimal(m.attainment), m.amount, hit.tolist()))
        measure = component.measure

        def fields(i: int) -> Fields:
            milestones = tuple((attainment, amount, hit[i]) for attainment, amount, hit in reached)
            return {"kind": LineKind.BONUS, "measure": measure, "milestones": milestones}

        return earned, fields


class _Groups(NamedTuple):
    """Integer sums by (point, group), sorted by point then group."""

    point: IntArray
    group: IntArray
    total: IntArray


class _Clawbacks(NamedTuple):
    """Recomputed close periods: the main point of the cancel period, the close period,
    and the close period's total without the credit reversed so far."""

    at: IntArray
    close: IntArray
    after: list[int]


@dataclass(frozen=True, eq=False)
class _Windows:
    """Per main point: days active in its measurement window, the window's days and label,
    stated and prorated quotas per quota measure, and the window's target incentive."""

    active: list[int]
    days: list[int]
    labels: list[str]
    full: dict[str, list[Decimal | None]]
    quotas: dict[str, ObjArray]
    target: Target

    @classmethod
    def of(cls, settlement: Settlement, person: IntArray, k: IntArray) -> _Windows:
        """The windows of the main points (``person`` rows in periods ``k``)."""
        windows = [window for window, _months in settlement.windows]
        first = np.array([w.start.toordinal() for w in windows], np.int64)
        last = np.array([w.end.toordinal() for w in windows], np.int64)
        active = _overlap(settlement.people, person, first[k], last[k]).tolist()
        periods = k.tolist()
        days = [windows[x].days for x in periods]
        labels = [windows[x].label for x in periods]
        rows = person.tolist()
        full: dict[str, list[Decimal | None]] = {}
        quotas: dict[str, ObjArray] = {}
        for spec in settlement.specs:
            if spec.hidden or not spec.quota:
                continue
            stated = [
                settlement.quotas.get((p, label, spec.key))
                for p, label in zip(rows, labels, strict=True)
            ]
            full[spec.key] = [None if s is None else Decimal(s) for s in stated]
            quotas[spec.key] = np.array(
                [
                    f if f is None or a >= d else Decimal(_round_half_up(f * a / d))
                    for f, a, d in zip(full[spec.key], active, days, strict=True)
                ],
                dtype=object,
            )
        months = np.array([settlement.windows[x][1] for x in periods], np.int64)
        incentive = settlement.people.target_incentive[person]
        return cls(active, days, labels, full, quotas, Target.of(incentive, months))


class _Walk:
    """Per participant, period by period: true-up, clawbacks and draw, then the results."""

    def __init__(
        self,
        settlement: Settlement,
        person: IntArray,
        k: IntArray,
        windows: _Windows,
        main: _Points,
        paid: _Paid,
        clawbacks: _Clawbacks,
        multiplied: Mapping[str, list[tuple[tuple[Decimal, Decimal], ...]]],
    ) -> None:
        self.s = settlement
        self.person = person
        self.k = k
        self.windows = windows
        self.main = main
        self.paid = paid
        self.clawbacks = clawbacks
        self.multiplied = multiplied

    def _measures(self, i: int) -> tuple[MeasureResult, ...]:
        s, windows = self.s, self.windows
        out = []
        for spec in s.specs:
            if spec.hidden:
                continue
            value = self.main.values[spec.key][i]
            quota = full = None
            if spec.key in windows.quotas:
                quota, full = windows.quotas[spec.key][i], windows.full[spec.key][i]
            scale = s.unit if spec.is_money else _ONE
            out.append(
                MeasureResult(
                    key=spec.key,
                    name=spec.name,
                    is_money=spec.is_money,
                    value=value / scale,
                    quota=None if quota is None else quota / scale,
                    full_quota=None if full is None else full / scale,
                    days_active=windows.active[i],
                    days_in_period=windows.days[i],
                    attainment=value / quota if quota else None,
                    multiplied=self.multiplied[spec.key][i] if spec.key in self.multiplied else (),
                    year_to_date=s.year_to_date,
                )
            )
        return tuple(out)

    def results(self, own_credit: BoolArray, reversed_here: BoolArray) -> list[Result]:
        """The results of every main point that has credit, pay or a quota of its own."""
        s, plan, paid = self.s, self.s.plan, self.paid
        keys = [(c.key, c.name) for c in plan.components]
        if plan.cap is not None:
            keys.append((LineKind.PLAN_CAP, "Plan cap"))
        lines_of = list(zip(keys, paid.amounts, paid.describe or (), strict=True))
        claws = np.searchsorted(self.clawbacks.at, np.arange(len(self.person) + 1)).tolist()
        close, after = self.clawbacks.close.tolist(), self.clawbacks.after
        draws = None if plan.draw is None else Draws(plan, plan.draw, s.unit)
        start_days = [] if draws is None else s.people.start_day[self.person].tolist()
        quota_specs = [spec for spec in s.specs if spec.key in self.windows.quotas]
        results: list[Result] = []
        previous = -1
        fiscal_year = 0
        year_paid: dict[str, int] = {}
        period_totals: dict[int, int] = {}
        balance = 0
        for i, (row, k) in enumerate(zip(self.person.tolist(), self.k.tolist(), strict=True)):
            period = s.schedule[k]
            if row != previous or period.fiscal_year != fiscal_year:
                fiscal_year, year_paid = period.fiscal_year, {}
            if row != previous:
                previous, period_totals, balance = row, {}, 0
            lines = []
            for (key, name), amounts, describe in lines_of:
                amount, fields = amounts[i], describe(i)
                if s.year_to_date:
                    # Year-to-date amount minus what earlier periods of the year paid.
                    before = year_paid.get(key, 0)
                    year_paid[key] = amount
                    fields["year_to_date"] = s._major(Decimal(amount))
                    fields["previously_paid"] = s._major(Decimal(before))
                    amount -= before
                lines.append(s._line(key, name, amount, Trace(**fields)))
            period_totals[k] = sum(line.amount for line in lines)
            if reversed_here[i]:
                # The close periods recomputed without the cancelled deals: what they pay
                # less is taken back now. Successive clawbacks telescope, so a deal won
                # and later cancelled nets to exactly zero.
                change = 0
                for q in range(claws[i], claws[i + 1]):
                    change += after[q] - period_totals[close[q]]
                    period_totals[close[q]] = after[q]
                trace = Trace(
                    kind=LineKind.CLAWBACK,
                    deals=s.reversed_deals.get((row, k), ()),
                    unrounded=s._major(Decimal(change)),
                )
                lines.append(
                    s._line(LineKind.CLAWBACK, "Clawback of cancelled deals", change, trace)
                )
            if draws is not None:
                earned = sum(x.amount for x in lines)
                draw_lines, balance = draws.settle(start_days[i], period, earned, balance)
                lines.extend(draw_lines)
            lines = [line for line in lines if line.amount != 0]
            label = self.windows.labels[i]
            notes = tuple(
                f"No quota for {spec.name} in {label}."
                for spec in quota_specs
                if self.windows.full[spec.key][i] is None
            )
            if s.year_to_date and (row, k) in s.reversed_deals:
                deals = ", ".join(s.reversed_deals[(row, k)])
                notes += (
                    f"Cancelled within the clawback window, so removed from year-to-date "
                    f"credit: {deals}",
                )
            # Show a period with credit, pay or (outside year-to-date plans) a quota of its own.
            stated = not s.year_to_date and any(
                self.windows.full[spec.key][i] is not None for spec in quota_specs
            )
            if not (lines or stated or own_credit[i]):
                continue
            results.append(
                Result(
                    participant_id=s.people.ids[row],
                    participant_name=s.people.names[row],
                    period=period.label,
                    currency=s.currency,
                    measures=self._measures(i),
                    lines=tuple(lines),
                    total=sum(line.amount for line in lines),
                    notes=notes,
                )
            )
        return results


def _classes(agg: Aggregation) -> list[IntArray | None]:
    """Groups summed together: all of them (None) for a measure, or those of each deal
    rate, in rate order."""
    if not agg.rates:
        return [None]
    return [
        np.flatnonzero([r == rate for r in agg.rates]).astype(np.int64)
        for rate in sorted(set(agg.rates))
    ]


def _members(groups: _Groups, members: IntArray | None) -> _Groups:
    if members is None:
        return groups
    keep = np.isin(groups.group, members)
    return _Groups(groups.point[keep], groups.group[keep], groups.total[keep])


def _rate_classes(
    agg: Aggregation, point: IntArray, group: IntArray, total: IntArray, points: int
) -> list[_RateClass]:
    """Credit by deal rate per point, summed group by group in group order."""
    rates = sorted(set(agg.rates))
    classes = [
        _RateClass(
            np.full(points, _ZERO, dtype=object),
            np.full(points, _ZERO, dtype=object),
            np.zeros(points, np.bool_),
        )
        for _ in rates
    ]
    for g in np.unique(group).tolist():
        rows = np.flatnonzero(group == g)
        at = point[rows]
        rate, base, present = classes[rates.index(agg.rates[g])]
        base[at] = base[at] + _decimals(total[rows]) * agg.weights[g]
        # A rate is shown as written where first met.
        rate[at] = np.where(present[at], rate[at], agg.rates[g])
        present[at] = True
    return classes


def _running(removed: ObjArray, order: IntArray, starts: IntArray) -> ObjArray:
    """Cumulative sums of ``removed`` taken in ``order``, restarting at each of ``starts``
    (positions in that order)."""
    ordered = np.cumsum(removed[order])
    offset: ObjArray = np.r_[np.zeros(1, dtype=object), ordered][starts]
    segment = np.cumsum(np.isin(np.arange(len(order)), starts)) - 1
    out: ObjArray = np.empty(len(order), dtype=object)
    out[order] = ordered - offset[segment]
    return out


def _quota(points: _Points, key: str) -> tuple[BoolArray, ObjArray]:
    """Which points have a positive quota for a measure, and the quota (1 elsewhere)."""
    quota = points.quotas.get(key)
    if quota is None:
        return np.zeros(len(points), np.bool_), np.full(len(points), _ONE, dtype=object)
    has = np.array([q is not None and q > 0 for q in quota.tolist()], dtype=np.bool_)
    return has, np.where(has, quota, _spread(_ONE, len(quota)))


def _spread(value: ObjArray | Decimal, n: int) -> ObjArray:
    """An array of ``n`` points: as given, or the same Decimal for every point."""
    return np.broadcast_to(np.asarray(value, dtype=object), (n,))


def _decimals(values: IntArray | ObjArray) -> ObjArray:
    return np.array([Decimal(v) for v in values.tolist()], dtype=object).reshape(len(values))


def _round_half_up(value: Decimal) -> int:
    return int(value.quantize(_ONE, rounding=ROUND_HALF_UP))


def _overlap(
    people: ParticipantTable, person: IntArray, first: IntArray, last: IntArray
) -> IntArray:
    """Days each person was employed between ``first`` and ``last`` (inclusive)."""
    end = np.minimum(last, people.end_day[person].astype(np.int64))
    start = np.maximum(first, people.start_day[person].astype(np.int64))
    days: IntArray = np.maximum(0, end - start + 1)
    return days
