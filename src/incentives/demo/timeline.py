"""The demo's calendar, laid around the day it is built for.

The demo covers the previous fiscal year and the current one up to today: the quarter
holding today is open, the one before it closed and waiting for approval, the older ones
paid. Fiscal years start in January, as in the example plans.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from incentives.engine.periods import Period, period_containing, periods_between

FIRST_MONTH = 1


@dataclass(frozen=True)
class Timeline:
    """The periods the demo fills, relative to ``today``."""

    today: dt.date

    @property
    def year(self) -> int:
        """The fiscal year holding today."""
        return self.current.fiscal_year

    @property
    def years(self) -> tuple[int, int]:
        """The previous fiscal year and the current one."""
        return (self.year - 1, self.year)

    @property
    def start(self) -> dt.date:
        """The first day of the demo's data: the previous fiscal year's first day."""
        return dt.date(self.year - 1, FIRST_MONTH, 1)

    @property
    def end(self) -> dt.date:
        """The current fiscal year's last day."""
        return period_containing(self.today, "year", FIRST_MONTH).end

    @property
    def current(self) -> Period:
        """The quarter holding today: open, its pay moving."""
        return period_containing(self.today, "quarter", FIRST_MONTH)

    @property
    def previous(self) -> Period:
        """The quarter before today's: closed, its statements submitted for approval."""
        return period_containing(self.current.start - dt.timedelta(days=1), "quarter", FIRST_MONTH)

    @property
    def quarters(self) -> list[Period]:
        """Every quarter from the demo's start through the current one, oldest first."""
        return periods_between(self.start, self.current.end, "quarter", FIRST_MONTH)

    def quarter(self, offset: int) -> Period:
        """The quarter ``offset`` quarters from the current one (-1: the previous one)."""
        return self.quarters[len(self.quarters) - 1 + offset]

    @property
    def months(self) -> list[Period]:
        """Every month from the demo's start through the current quarter's last."""
        return periods_between(self.start, self.current.end, "month", FIRST_MONTH)

    def month_containing(self, day: dt.date) -> Period:
        """The calendar month holding ``day``."""
        return period_containing(day, "month", FIRST_MONTH)
