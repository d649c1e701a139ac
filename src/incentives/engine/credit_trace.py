"""The deal credits behind a participant-period, gathered on demand for traces.

Credit rows are indexed once by (participant, period); a lookup then slices that index, so
traces cost nothing until someone asks for them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from incentives.engine.crediting import SOURCE_NAMES, Credits
from incentives.engine.fx import Converted
from incentives.engine.money import exponent
from incentives.engine.periods import Period, parse_period, period_containing, periods_between
from incentives.engine.plan import CommissionPlan
from incentives.engine.results import Credit, CreditRows, Evaluation
from incentives.engine.tables import SHARE_SCALE, Inputs, IntArray


def measured_periods(plan: CommissionPlan, period: str) -> list[str]:
    """The periods whose credit a result's measures hold: the period itself, or for a
    year-to-date plan every period of its fiscal year up to it."""
    if plan.true_up != "year_to_date":
        return [period]
    end = parse_period(period, plan.fiscal_year_starts)
    year = period_containing(end.start, "year", plan.fiscal_year_starts)
    return [
        p.label for p in periods_between(year.start, end.end, plan.period, plan.fiscal_year_starts)
    ]


def credits_behind(
    evaluation: Evaluation, plan: CommissionPlan, participant_id: str, period: str
) -> tuple[Credit, ...]:
    """The deal credits behind a participant's result for a period (the fiscal year's so
    far, for a year-to-date plan), in period order."""
    return tuple(
        credit
        for label in measured_periods(plan, period)
        for credit in evaluation.credits(participant_id, label)
    )


class CreditLookup:
    """Callable ``(participant_id, period_label) -> credits`` over one evaluation's rows."""

    def __init__(
        self,
        inputs: Inputs,
        credits: Credits,
        close_period: IntArray,
        converted: Converted,
        schedule: Sequence[Period],
        currency: str,
    ) -> None:
        self.inputs = inputs
        self.currency = currency
        self.credits = credits
        self.converted = converted
        self.periods = {p.label: k for k, p in enumerate(schedule)}
        self.width = len(schedule)
        self.close_period = close_period
        self._index: tuple[IntArray, IntArray] | None = None

    def _sorted(self) -> tuple[IntArray, IntArray]:
        """Credit rows ordered by (participant, period), built on the first lookup."""
        if self._index is None:
            credits = self.credits
            key = credits.participant.astype(np.int64) * self.width
            key += self.close_period[credits.deal]
            order = np.argsort(key, kind="stable")
            self._index = order, key[order]
        return self._index

    def __call__(self, participant_id: str, period: str) -> tuple[Credit, ...]:
        person = self.inputs.participants.index.get(participant_id)
        k = self.periods.get(period)
        if person is None or k is None:
            return ()
        order, keys = self._sorted()
        key = person * self.width + k
        lo, hi = np.searchsorted(keys, [key, key + 1])
        return tuple(self._credit(int(row)) for row in order[lo:hi])

    def rows(self) -> CreditRows:
        """Every credit row as columns, with the period each falls in."""
        credits = self.credits
        return CreditRows(
            participant=credits.participant,
            period=self.close_period[credits.deal],
            deal=credits.deal,
            source=credits.source,
            via=credits.via,
            share=np.asarray(credits.shares, dtype=np.int64)[credits.share_code],
            payout_minor=self.converted.amount[credits.deal],
            periods=tuple(self.periods),
            sources=SOURCE_NAMES,
        )

    def _credit(self, row: int) -> Credit:
        deals, people = self.inputs.deals, self.inputs.participants
        credits, converted = self.credits, self.converted
        deal = int(credits.deal[row])
        currency = deals.currency[deal]
        share = Decimal(credits.shares[int(credits.share_code[row])]) / SHARE_SCALE
        payout = Decimal(int(converted.amount[deal]))
        rate_row = int(converted.rate[deal])
        fx_rate = fx_date = None
        if rate_row >= 0:
            _currency, fx_day, fx_rate = converted.rates[rate_row]
            fx_date = dt.date.fromordinal(fx_day)
        via = int(credits.via[row])
        cancelled = int(deals.cancel_day[deal])
        return Credit(
            deal_id=str(deals.ids[deal]),
            close_date=dt.date.fromordinal(int(deals.close_day[deal])),
            source=SOURCE_NAMES[int(credits.source[row])],
            share=share,
            via=None if via < 0 else people.ids[via],
            amount=(payout * share).scaleb(-exponent(self.currency)),
            deal_currency=currency,
            deal_amount=Decimal(int(deals.amount[deal])).scaleb(-exponent(currency)),
            fx_rate=fx_rate,
            fx_rate_date=fx_date,
            cancel_date=dt.date.fromordinal(cancelled) if cancelled else None,
        )
