"""The draw: a guaranteed minimum per period, and the recovery of what it advanced.

Which periods a draw covers: those counted from the participant's first period (or the
plan's, with ``counts_from: plan_start``) below ``for_periods``, and those starting on or
before ``until``. A covered period paying less than the draw is topped up; a recoverable
top-up is owed back from later earnings, by the plan's ``recovery`` rule.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from incentives.engine.periods import Period, period_containing
from incentives.engine.plan import CommissionPlan, Draw
from incentives.engine.results import Line, LineKind, Trace


def _month(day: date) -> int:
    return day.year * 12 + day.month - 1


class Draws:
    """A plan's draw, settled period by period for one participant after another."""

    def __init__(self, plan: CommissionPlan, draw: Draw, unit: Decimal) -> None:
        self.plan = plan
        self.draw = draw
        self.unit = unit
        self.amount = int(draw.amount * unit)
        self.max_recovery = (
            None
            if draw.max_recovery_per_period is None
            else int(draw.max_recovery_per_period * unit)
        )
        first = self._period(plan.effective.from_)
        self.months = first.months
        self.plan_start = _month(first.start)
        # Per participant start day: the month the count starts at, and the last period
        # covered.
        self._counts: dict[int, tuple[int, str | None]] = {}

    def _period(self, day: date) -> Period:
        return period_containing(day, self.plan.period, self.plan.fiscal_year_starts)

    def _count(self, start_day: int) -> tuple[int, str | None]:
        """Where the count of periods starts for a participant starting on ``start_day``
        (a month number), and the label of the last period the draw covers (None: no end)."""
        known = self._counts.get(start_day)
        if known is not None:
            return known
        draw = self.draw
        origin = self.plan_start
        if draw.counted_from == "participant_start":
            origin = _month(self._period(date.fromordinal(start_day)).start)
        ends: list[Period] = []
        if draw.for_periods is not None:
            last = origin + (draw.for_periods - 1) * self.months
            ends.append(self._period(date(last // 12, last % 12 + 1, 1)))
        if draw.until is not None:
            ends.append(self._period(draw.until))
        through = min(ends).label if ends else None
        self._counts[start_day] = origin, through
        return origin, through

    def covers(self, start_day: int, period: Period) -> bool:
        """Whether the draw guarantees its amount in ``period`` to a participant starting
        on ``start_day`` (a day ordinal)."""
        draw = self.draw
        origin, _through = self._count(start_day)
        counted = (_month(period.start) - origin) // self.months
        return (
            counted >= 0
            and (draw.for_periods is None or counted < draw.for_periods)
            and (draw.until is None or period.start <= draw.until)
        )

    def settle(
        self, start_day: int, period: Period, earned: int, balance: int
    ) -> tuple[list[Line], int]:
        """The draw's top-up or recovery for a period that earned ``earned`` (its lines,
        a clawback included) with ``balance`` owed from earlier top-ups; and the balance
        after it."""
        draw = self.draw
        # Under full recovery a balance owed suspends the guarantee until it is repaid, so
        # pay is the earnings less the recovery: it never falls as earnings rise.
        owing = draw.recovery_rule == "full" and balance > 0
        guaranteed = self.covers(start_day, period) and not owing
        floor = self.amount if guaranteed else 0
        if guaranteed and earned < self.amount:
            top_up = self.amount - earned
            balance += top_up if draw.recoverable else 0
            return [self._line(LineKind.DRAW, "Draw", top_up, start_day, balance)], balance
        if balance > 0 and earned > floor:
            limit = earned - floor
            if self.max_recovery is not None:
                limit = min(limit, self.max_recovery)
            recovered = min(balance, limit)
            balance -= recovered
            line = self._line(
                LineKind.DRAW_RECOVERY, "Draw recovery", -recovered, start_day, balance
            )
            return [line], balance
        return [], balance

    def _line(self, kind: LineKind, name: str, amount: int, start_day: int, balance: int) -> Line:
        """A draw line, keyed by its kind (a key no component may take)."""
        draw = self.draw
        _origin, through = self._count(start_day)
        trace = Trace(
            kind=kind,
            draw=Decimal(self.amount) / self.unit,
            draw_balance=Decimal(balance) / self.unit,
            draw_through=through,
            draw_open_ended=draw.open_ended,
            recovery=draw.recovery_rule if draw.recoverable else None,
        )
        return Line(kind, name, amount, self.plan.payout_currency, trace)
