"""Plan periods: months, fiscal quarters and fiscal years, with their labels and dates.

Labels: ``2026`` is the fiscal year that starts in calendar 2026, ``2026-Q1`` its first
quarter, ``2026-03`` the calendar month March 2026.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

PeriodKind = Literal["month", "quarter", "year"]

_MONTHS_PER: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}
_LABEL = re.compile(r"^(?P<year>\d{4})(?:-Q(?P<quarter>[1-4])|-(?P<month>\d{2}))?$", re.ASCII)


class PeriodError(ValueError):
    """A period label that cannot be read."""


@dataclass(frozen=True, order=True)
class Period:
    """A closed date range ``start``..``end`` (both inclusive) with its label."""

    start: dt.date
    end: dt.date
    label: str
    kind: PeriodKind
    fiscal_year: int

    @property
    def days(self) -> int:
        """Number of calendar days in the period."""
        return (self.end - self.start).days + 1

    @property
    def months(self) -> int:
        """Number of months in the period (1, 3 or 12)."""
        return _MONTHS_PER[self.kind]


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _month_range(year: int, month: int, months: int) -> tuple[dt.date, dt.date]:
    end_year, end_month = _add_months(year, month, months)
    return dt.date(year, month, 1), dt.date(end_year, end_month, 1) - dt.timedelta(days=1)


def fiscal_year_of(day: dt.date, fiscal_year_starts: int) -> int:
    """The fiscal year (labelled by the calendar year it starts in) containing ``day``."""
    return day.year if day.month >= fiscal_year_starts else day.year - 1


def period_containing(day: dt.date, kind: PeriodKind, fiscal_year_starts: int) -> Period:
    """The period of the given kind that contains ``day``."""
    fiscal_year = fiscal_year_of(day, fiscal_year_starts)
    if kind == "month":
        start, end = _month_range(day.year, day.month, 1)
        return Period(start, end, f"{day.year:04d}-{day.month:02d}", kind, fiscal_year)
    months_into_year = (day.year * 12 + day.month - 1) - (fiscal_year * 12 + fiscal_year_starts - 1)
    if kind == "quarter":
        quarter = months_into_year // 3
        year, month = _add_months(fiscal_year, fiscal_year_starts, quarter * 3)
        start, end = _month_range(year, month, 3)
        return Period(start, end, f"{fiscal_year:04d}-Q{quarter + 1}", kind, fiscal_year)
    start, end = _month_range(fiscal_year, fiscal_year_starts, 12)
    return Period(start, end, f"{fiscal_year:04d}", kind, fiscal_year)


def parse_period(label: str, fiscal_year_starts: int) -> Period:
    """The period a label names; raises PeriodError for anything but ``2026``,
    ``2026-Q1`` or ``2026-03``."""
    match = _LABEL.match(label.strip())
    if match is None:
        raise PeriodError(f"not a period: {label!r} (write 2026, 2026-Q1 or 2026-03)")
    year = int(match["year"])
    if match["quarter"]:
        first_year, first_month = _add_months(
            year, fiscal_year_starts, (int(match["quarter"]) - 1) * 3
        )
        return period_containing(dt.date(first_year, first_month, 1), "quarter", fiscal_year_starts)
    if match["month"]:
        month = int(match["month"])
        if not 1 <= month <= 12:
            raise PeriodError(f"not a month: {label!r}")
        return period_containing(dt.date(year, month, 1), "month", fiscal_year_starts)
    return period_containing(dt.date(year, fiscal_year_starts, 1), "year", fiscal_year_starts)


def periods_between(
    first: dt.date, last: dt.date, kind: PeriodKind, fiscal_year_starts: int
) -> list[Period]:
    """Every period of the kind that overlaps ``first``..``last`` (inclusive), in order."""
    periods: list[Period] = []
    day = first
    while day <= last:
        period = period_containing(day, kind, fiscal_year_starts)
        periods.append(period)
        day = period.end + dt.timedelta(days=1)
    return periods


@dataclass(frozen=True)
class Schedule:
    """A plan's periods in date order: every period of its kind overlapping its dates
    ``first``..``last`` (inclusive), looked up by label or by dates."""

    first: dt.date
    last: dt.date
    periods: tuple[Period, ...]

    @classmethod
    def of(
        cls, first: dt.date, last: dt.date, kind: PeriodKind, fiscal_year_starts: int
    ) -> Schedule:
        """The schedule of periods of ``kind`` over ``first``..``last``."""
        return cls(first, last, tuple(periods_between(first, last, kind, fiscal_year_starts)))

    @cached_property
    def labels(self) -> tuple[str, ...]:
        """The periods' labels, in date order."""
        return tuple(p.label for p in self.periods)

    @cached_property
    def _by_label(self) -> dict[str, Period]:
        return {p.label: p for p in self.periods}

    def __contains__(self, label: object) -> bool:
        return label in self._by_label

    def __iter__(self) -> Iterator[Period]:
        return iter(self.periods)

    def __len__(self) -> int:
        return len(self.periods)

    def period(self, label: str) -> Period:
        """The period with this label (KeyError when the schedule has none)."""
        return self._by_label[label]

    def within(self, first: dt.date, last: dt.date) -> list[Period]:
        """The periods holding days of ``first``..``last`` that are also the schedule's."""
        first, last = max(first, self.first), min(last, self.last)
        return [p for p in self.periods if p.start <= last and p.end >= first]
