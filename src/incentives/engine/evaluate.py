"""Evaluate a commission plan over columnar inputs.

Two stages: set-wise numpy work over every deal (conversion, crediting, filters,
multipliers, sums per participant, period and weight group, all in exact integers), then
exact Decimal arithmetic on the small per participant-period rows (tiers, gates, caps,
bonuses, clawbacks, draws, year-to-date true-up). Every period of the plan up to the last
one asked for is evaluated, since draws and true-ups carry from one period to the next.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, localcontext
from itertools import pairwise

import msgspec
import numpy as np

from incentives.engine.aggregate import group_sums
from incentives.engine.conditions import (
    Column,
    ColumnSource,
    DateColumn,
    NumberColumn,
    condition_mask,
)
from incentives.engine.credit_trace import CreditLookup
from incentives.engine.crediting import Credits, credit_deals
from incentives.engine.fx import Converted, convert_deals
from incentives.engine.measures import Aggregation, MeasureSpec, measure_specs
from incentives.engine.money import exponent
from incentives.engine.periods import Period
from incentives.engine.plan import CommissionPlan, Condition, RateComponent
from incentives.engine.results import Evaluation, Result, UnpaidDeal
from incentives.engine.settle import Settlement
from incentives.engine.tables import SHARE_SCALE, Categories, Inputs, IntArray

_PRECISION = 60


def evaluate(
    plan: CommissionPlan, inputs: Inputs, periods: Sequence[str] | None = None
) -> Evaluation:
    """Evaluate ``plan`` over ``inputs`` for the given period labels (default: every period
    of the plan). Deterministic: the same inputs give identical results."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return _Evaluator(plan, inputs, periods).run()


class _Evaluator:
    def __init__(self, plan: CommissionPlan, inputs: Inputs, periods: Sequence[str] | None) -> None:
        self.plan = plan
        self.inputs = inputs
        schedule = plan.schedule
        labels = schedule.labels
        unknown = [p for p in periods or () if p not in schedule]
        if unknown:
            raise ValueError(f"periods outside plan {plan.key}: {', '.join(unknown)}")
        last = max((labels.index(p) for p in periods), default=-1) if periods else len(labels) - 1
        self.schedule: tuple[Period, ...] = schedule.periods[: last + 1]
        self.wanted = set(periods) if periods else set(labels)
        self.starts = np.array([p.start.toordinal() for p in self.schedule], dtype=np.int64)
        self.ends = np.array([p.end.toordinal() for p in self.schedule], dtype=np.int64)
        self.specs = measure_specs(plan)

    def _period_of(self, days: IntArray) -> IntArray:
        index = np.searchsorted(self.starts, days, side="right") - 1
        inside = (index >= 0) & (days <= self.ends[np.clip(index, 0, None)]) & (days > 0)
        return np.where(inside, index, -1)

    def run(self) -> Evaluation:
        plan, inputs = self.plan, self.inputs
        deals = inputs.deals
        converted = convert_deals(deals, plan.payout_currency, inputs.fx_rates)
        status = deals.status
        won = status.where([s == "won" for s in status.labels])
        cancelled = status.where([s == "cancelled" for s in status.labels])
        close_period = self._period_of(deals.close_day.astype(np.int64))
        # A cancelled deal was won first: it counts in its close period, and is reversed in
        # the cancellation period when cancelled within the clawback window.
        eligible = (won | cancelled) & (close_period >= 0)
        # A deal with no rate into the payout currency is left out (and reported), so
        # that one missing rate never stops the others' pay.
        unrated = eligible & converted.missing
        eligible &= ~converted.missing
        reversal_period = np.full(len(deals), -1, dtype=np.int64)
        if plan.clawback is not None:
            in_window = cancelled & (
                deals.cancel_day - deals.close_day <= plan.clawback.within_days
            )
            cancel_period = self._period_of(deals.cancel_day.astype(np.int64))
            reversal_period = np.where(in_window, cancel_period, -1)
        credits = credit_deals(
            eligible, deals, inputs.splits, inputs.assignments, inputs.participants, plan.crediting
        )
        columns = _deal_columns(inputs, converted, plan.payout_currency)
        aggregations: dict[str, Aggregation] = {}
        for spec in self.specs:
            if spec.source == "deals":
                aggregations[spec.key] = self._deal_aggregation(
                    spec, credits, columns, converted, close_period, reversal_period, None
                )
            else:
                aggregations[spec.key] = self._activity_aggregation(spec)
        for component in plan.components:
            if isinstance(component, RateComponent) and component.deal_rates:
                spec = next(s for s in self.specs if s.key == component.measure)
                aggregations[f"rates:{component.key}"] = self._deal_aggregation(
                    spec, credits, columns, converted, close_period, reversal_period, component
                )
        results = self._settle_all(aggregations, credits, reversal_period)
        lookup = CreditLookup(
            inputs, credits, close_period, converted, self.schedule, plan.payout_currency
        )
        unpaid = self._unpaid(np.flatnonzero(unrated), close_period)
        return Evaluation(
            plan.key, plan.payout_currency, tuple(_noted(results, unpaid)), lookup, unpaid
        )

    def _unpaid(self, rows: IntArray, close_period: IntArray) -> tuple[UnpaidDeal, ...]:
        """The unconverted deals of the evaluated periods, with whom they would credit."""
        deals, splits = self.inputs.deals, self.inputs.splits
        people = self.inputs.participants.ids
        partners: dict[int, list[str]] = {}
        for k in np.flatnonzero(np.isin(splits.deal, rows)):
            partners.setdefault(int(splits.deal[k]), []).append(people[int(splits.participant[k])])
        found = []
        for row in map(int, rows):
            period = self.schedule[int(close_period[row])].label
            if period not in self.wanted:
                continue
            named = dict.fromkeys([people[int(deals.owner[row])], *partners.get(row, ())])
            found.append(
                UnpaidDeal(
                    deal_id=str(deals.ids[row]),
                    close_date=dt.date.fromordinal(int(deals.close_day[row])),
                    period=period,
                    currency=deals.currency[row],
                    payout_currency=self.plan.payout_currency,
                    participants=tuple(named),
                )
            )
        return tuple(found)

    def _deal_aggregation(
        self,
        spec: MeasureSpec,
        credits: Credits,
        columns: ColumnSource,
        converted: Converted,
        close_period: IntArray,
        reversal_period: IntArray,
        rates: RateComponent | None,
    ) -> Aggregation:
        deals = self.inputs.deals
        rows = len(deals)
        match = (
            np.ones(rows, np.bool_)
            if spec.where is None
            else condition_mask(spec.where, columns, rows)
        )
        mult_code = _first_match([m.where for m in spec.multipliers], columns, rows)
        mult_weights = [Decimal(1), *(m.factor for m in spec.multipliers)]
        rate_weights: list[Decimal] = [Decimal(1)]
        rate_code = np.zeros(rows, np.int64)
        if rates is not None:
            rate_code = _first_match([r.where for r in rates.deal_rates], columns, rows)
            rate_weights = [
                _rate_weight(rates.rate, rates.per_unit, self.plan.payout_currency),
                *(r.rate for r in rates.deal_rates),
            ]
        shares = [Decimal(s) / SHARE_SCALE for s in credits.shares]
        weights = tuple(s * m for s in shares for m in mult_weights for _ in rate_weights)
        group_rates = tuple(r for _ in shares for _ in mult_weights for r in rate_weights)
        n_mult, n_rate = len(mult_weights), len(rate_weights)
        if spec.where is None:
            deal, share_code, person = credits.deal, credits.share_code, credits.participant
        else:
            selected = np.flatnonzero(match[credits.deal])
            deal = credits.deal[selected]
            share_code, person = credits.share_code[selected], credits.participant[selected]
        group = (share_code.astype(np.int64) * n_mult + mult_code[deal]) * n_rate + rate_code[deal]
        values = converted.amount[deal] if spec.aggregate == "sum" else np.ones(len(deal), np.int64)
        periods = close_period[deal]
        reversed_rows = np.flatnonzero(reversal_period[deal] >= 0)
        reversals = None
        if self.plan.true_up == "year_to_date":
            # Year-to-date measures take the reversal as negative credit when it happens.
            person = np.concatenate([person, person[reversed_rows]])
            group = np.concatenate([group, group[reversed_rows]])
            values = np.concatenate([values, -values[reversed_rows]])
            periods = np.concatenate([periods, reversal_period[deal[reversed_rows]]])
        else:
            # Summed by (participant, cancel period), with (close period, group) as the group.
            n_groups = len(weights)
            reversals = group_sums(
                person[reversed_rows],
                reversal_period[deal[reversed_rows]],
                periods[reversed_rows] * n_groups + group[reversed_rows],
                values[reversed_rows],
                len(self.schedule),
                len(self.schedule) * n_groups,
            )
        cells = group_sums(person, periods, group, values, len(self.schedule), len(weights))
        return Aggregation(weights, cells, group_rates if rates is not None else (), reversals)

    def _activity_aggregation(self, spec: MeasureSpec) -> Aggregation:
        acts = self.inputs.activities
        people = self.inputs.participants
        rows = len(acts)
        match = (
            np.ones(rows, np.bool_)
            if spec.where is None
            else condition_mask(spec.where, _activity_columns(self.inputs), rows)
        )
        period = self._period_of(acts.day.astype(np.int64))
        person = acts.participant
        employed = (people.start_day[person] <= acts.day) & (acts.day <= people.end_day[person])
        keep = np.flatnonzero(match & (period >= 0) & employed)
        values = acts.quantity[keep] if spec.aggregate == "sum" else np.ones(len(keep), np.int64)
        cells = group_sums(
            person[keep], period[keep], np.zeros(len(keep), np.int64), values, len(self.schedule), 1
        )
        return Aggregation((Decimal(1),), cells)

    def _settle_all(
        self, aggregations: dict[str, Aggregation], credits: Credits, reversal_period: IntArray
    ) -> list[Result]:
        people = self.inputs.participants
        reversed_deals = self._reversed_deals(credits, reversal_period)
        settlement = Settlement(
            self.plan,
            self.specs,
            self.schedule,
            aggregations,
            self.inputs.quotas,
            reversed_deals,
            people,
        )
        touched = np.full(len(people), self.plan.draw is not None)
        for agg in aggregations.values():
            touched[agg.cells.participant] = True
        touched[[p for (p, _k) in reversed_deals]] = True
        touched[[p for (p, _label, _m) in self.inputs.quotas]] = True
        rows = sorted(np.flatnonzero(touched).tolist(), key=lambda p: people.ids[p])
        return [r for r in settlement.results(rows) if r.period in self.wanted]

    def _reversed_deals(
        self, credits: Credits, reversal_period: IntArray
    ) -> dict[tuple[int, int], tuple[str, ...]]:
        """The ids of the deals reversed per (participant, cancel period), sorted."""
        rows = np.flatnonzero(reversal_period[credits.deal] >= 0)
        deal = credits.deal[rows]
        cell = credits.participant[rows].astype(np.int64) * len(self.schedule)
        cell += reversal_period[deal]
        order = np.lexsort((deal, cell))
        cell, deal = cell[order], deal[order]
        if len(cell) == 0:
            return {}
        first = np.r_[True, (cell[1:] != cell[:-1]) | (deal[1:] != deal[:-1])]
        cell, deal = cell[first], deal[first]
        ids = [str(i) for i in self.inputs.deals.ids[deal].tolist()]
        bounds = [*np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]]).tolist(), len(cell)]
        cells = cell.tolist()
        return {
            divmod(cells[a], len(self.schedule)): tuple(sorted(ids[a:b]))
            for a, b in pairwise(bounds)
        }


def _noted(results: list[Result], unpaid: Sequence[UnpaidDeal]) -> list[Result]:
    """Each result of a participant named by an unpaid deal of its period, with a note
    saying which deal is missing from their pay and why."""
    notes: dict[tuple[str, str], list[str]] = {}
    for deal in unpaid:
        text = (
            f"A {deal.currency} deal closed on {deal.close_date.isoformat()} is not paid yet:"
            f" {deal.reason}."
        )
        for person in deal.participants:
            notes.setdefault((person, deal.period), []).append(text)
    if not notes:
        return results
    return [
        msgspec.structs.replace(r, notes=(*r.notes, *notes[key]))
        if (key := (r.participant_id, r.period)) in notes
        else r
        for r in results
    ]


def _rate_weight(rate: Decimal | None, per_unit: Decimal | None, currency: str) -> Decimal:
    """The weight a deal-rate class applies: a fraction, or minor units per unit counted."""
    if rate is not None:
        return rate
    assert per_unit is not None  # guaranteed by plan validation
    return per_unit.scaleb(exponent(currency))


def _first_match(conditions: Sequence[Condition], columns: ColumnSource, rows: int) -> IntArray:
    """Per row, 1 + the index of the first condition it matches (0: none)."""
    code = np.zeros(rows, np.int64)
    for index, condition in enumerate(conditions):
        hit = condition_mask(condition, columns, rows) & (code == 0)
        code[hit] = index + 1
    return code


class _Columns:
    """A table's columns by field name, built on first use (free attributes included)."""

    def __init__(
        self,
        named: dict[str, Callable[[], Column]],
        attributes: Mapping[str, Categories],
        rows: int,
    ) -> None:
        self._named = named
        self._attributes = attributes
        self._rows = rows
        self._built: dict[str, Column] = {}

    def __call__(self, name: str) -> Column:
        if name not in self._built:
            if name in self._named:
                self._built[name] = self._named[name]()
            elif name in self._attributes:
                self._built[name] = self._attributes[name]
            else:
                self._built[name] = Categories(np.zeros(self._rows, np.int32), ("",))
        return self._built[name]


def _deal_columns(inputs: Inputs, converted: Converted, currency: str) -> _Columns:
    deals = inputs.deals
    named: dict[str, Callable[[], Column]] = {
        "id": lambda: Categories.encode(str(i) for i in deals.ids),
        "owner_id": lambda: Categories(deals.owner, inputs.participants.ids),
        "currency": lambda: deals.currency,
        "status": lambda: deals.status,
        "product": lambda: deals.product,
        "amount": lambda: NumberColumn(converted.amount, exponent(currency)),
        "close_date": lambda: DateColumn(deals.close_day),
        "cancel_date": lambda: DateColumn(deals.cancel_day),
    }
    return _Columns(named, deals.attributes, len(deals))


def _activity_columns(inputs: Inputs) -> _Columns:
    acts = inputs.activities
    named: dict[str, Callable[[], Column]] = {
        "id": lambda: Categories.encode(str(i) for i in acts.ids),
        "participant_id": lambda: Categories(acts.participant, inputs.participants.ids),
        "type": lambda: acts.type,
        "quantity": lambda: NumberColumn(acts.quantity, 0),
        "occurred_on": lambda: DateColumn(acts.day),
    }
    return _Columns(named, acts.attributes, len(acts))
