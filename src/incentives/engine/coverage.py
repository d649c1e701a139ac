"""Who a plan pays, and when: a participant's plan assignments (covers) against their
employment and a period. Everyone else is in the inputs only for their deals' rollups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from incentives.engine.periods import Period


@dataclass(frozen=True)
class Cover:
    """A participant paid under the plan from ``start`` to ``end`` (inclusive; None: open),
    with the annual target incentive (minor units) of that assignment."""

    start: dt.date
    end: dt.date | None
    target_minor: int


def paid_in(covers: Sequence[Cover], period: Period) -> bool:
    """Whether any of the covers holds a day of the period."""
    return any(c.start <= period.end and (c.end is None or c.end >= period.start) for c in covers)


def paid_span(
    start: dt.date, end: dt.date | None, covers: Sequence[Cover]
) -> tuple[dt.date, dt.date | None, int]:
    """A participant's employment ``start``..``end`` narrowed to their covers (in date
    order; none: not narrowed), and the latest cover's target incentive (0 without)."""
    if not covers:
        return start, end, 0
    start = max(start, covers[0].start)
    ends = [c.end for c in covers]
    plan_end = None if None in ends else max(e for e in ends if e is not None)
    end = plan_end if end is None else (end if plan_end is None else min(end, plan_end))
    return start, end, covers[-1].target_minor
