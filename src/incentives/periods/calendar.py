"""A fiscal year's periods, from the engine's calendar rules (one set of rules for both).

A fiscal year is labelled by the calendar year it starts in (``2026``); its quarters
``2026-Q1`` … ``2026-Q4``; months by their calendar month (``2027-01``). Every period's
dates are inclusive at both ends.
"""

from __future__ import annotations

import datetime as dt

from incentives.engine.periods import Period, period_containing, periods_between


def fiscal_year(year: int, first_month: int = 1) -> list[Period]:
    """The year, its four quarters and twelve months, for a year starting in ``first_month``."""
    if not 1 <= first_month <= 12:
        raise ValueError("the fiscal year's first month must be 1 to 12")
    whole = period_containing(dt.date(year, first_month, 1), "year", first_month)
    return [
        whole,
        *periods_between(whole.start, whole.end, "quarter", first_month),
        *periods_between(whole.start, whole.end, "month", first_month),
    ]
