"""What achievement rules award, from facts the database gathers (pure: no I/O, no clock).

An award is owed for an occasion (a deal, a week, a streak's last period, a level). The
set of owed occasions is recomputed from the current facts each time and reconciled with
what was recorded: new occasions are awarded, recorded ones no longer owed are revoked
(a cancelled deal), revoked ones owed again are restored. So replays and recomputes never
award twice, and nothing depends on the order facts arrive in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from incentives.games.model import LevelStep

Occasion = tuple[int, str]  # (participant, occasion key)


@dataclass(frozen=True)
class Recorded:
    """An award as recorded: whether it stands revoked."""

    revoked: bool


@dataclass
class Reconciled:
    """What to write so that the recorded awards are exactly those owed."""

    award: list[Occasion] = field(default_factory=list)
    revoke: list[Occasion] = field(default_factory=list)
    restore: list[Occasion] = field(default_factory=list)


def reconcile(
    recorded: Mapping[Occasion, Recorded], owed: Iterable[Occasion], people: set[int] | None
) -> Reconciled:
    """Compare what is owed with what is recorded, for ``people`` (None: everyone)."""
    owed_set = set(owed)
    out = Reconciled()
    for occasion in sorted(owed_set):
        found = recorded.get(occasion)
        if found is None:
            out.award.append(occasion)
        elif found.revoked:
            out.restore.append(occasion)
    for occasion, found in sorted(recorded.items()):
        in_scope = people is None or occasion[0] in people
        if in_scope and not found.revoked and occasion not in owed_set:
            out.revoke.append(occasion)
    return out


def first_deal_owed(start: dt.date | None, first_close: dt.date, within_days: int) -> bool:
    """A new hire's first won deal counts if it closed within ``within_days`` of the start."""
    return start is not None and start <= first_close <= start + dt.timedelta(days=within_days)


Per = Literal["day", "week", "month"]


def bucket(day: dt.date, per: Per) -> str:
    """The day, ISO week (``2026-W10``) or month (``2026-03``) a day falls in."""
    if per == "day":
        return day.isoformat()
    if per == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


def activity_occasions(
    days: Iterable[tuple[int, dt.date, Decimal]], per: Per, at_least: Decimal
) -> list[Occasion]:
    """Per participant, each day, week or month whose activities add up to ``at_least``
    (occasions ``week:2026-W11``, ``day:2026-03-09``, ``month:2026-03``)."""
    totals: dict[Occasion, Decimal] = {}
    for participant, day, quantity in days:
        key = (participant, f"{per}:{bucket(day, per)}")
        totals[key] = totals.get(key, Decimal(0)) + quantity
    return sorted(key for key, total in totals.items() if total >= at_least)


def streak_ends(
    attainments: Sequence[Decimal | None], periods: int, threshold: Decimal
) -> list[int]:
    """Positions of the periods completing a streak: every ``periods`` consecutive periods
    at or above ``threshold`` (a missing attainment breaks it). Streaks do not overlap: the
    fourth period of a three-period streak starts counting again."""
    ends: list[int] = []
    run = 0
    for index, attainment in enumerate(attainments):
        run = run + 1 if attainment is not None and attainment >= threshold else 0
        if run == periods:
            ends.append(index)
            run = 0
    return ends


def levels_reached(points: int, levels: Sequence[LevelStep]) -> list[LevelStep]:
    """The levels accumulated points have reached, lowest first."""
    return [level for level in levels if points >= level.points]


def next_level(points: int, levels: Sequence[LevelStep]) -> LevelStep | None:
    """The lowest level not reached yet."""
    return next((level for level in levels if points < level.points), None)
