"""Generating a fiscal year's periods. Pure: dates in, periods out.

A fiscal year is labelled by the calendar year it starts in (``2026``); its quarters
``2026-Q1`` … ``2026-Q4``; months by their calendar month (``2027-01``). Ranges are
half-open: ``start`` inclusive, ``end`` exclusive.
"""

from __future__ import annotations

import datetime as dt

import msgspec


class PeriodSpec(msgspec.Struct, frozen=True):
    """One period of a fiscal calendar."""

    kind: str
    label: str
    fiscal_year: int
    start: dt.date
    end: dt.date


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def fiscal_year(year: int, first_month: int = 1) -> list[PeriodSpec]:
    """The year, its four quarters and twelve months, for a year starting in ``first_month``."""
    if not 1 <= first_month <= 12:
        raise ValueError("the fiscal year's first month must be 1 to 12")
    start = dt.date(year, first_month, 1)
    periods = [PeriodSpec("year", str(year), year, start, _add_months(start, 12))]
    for q in range(4):
        q_start = _add_months(start, 3 * q)
        periods.append(
            PeriodSpec("quarter", f"{year}-Q{q + 1}", year, q_start, _add_months(q_start, 3))
        )
    for m in range(12):
        m_start = _add_months(start, m)
        periods.append(
            PeriodSpec("month", f"{m_start:%Y-%m}", year, m_start, _add_months(m_start, 1))
        )
    return periods
