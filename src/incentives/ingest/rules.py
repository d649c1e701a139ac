"""The rules an ingested item, and a whole batch of them, must keep: pure, no I/O.

Ingest applies them to what comes in over the API or a CSV import; ``simulate`` to the
rows of its data folder, so that a refusal reads the same wherever it happens. Each
check returns problems as (field, message), the field named as in the ingest items.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from incentives.engine.money import MoneyError, is_known_currency, to_minor
from incentives.ingest.items import (
    ActivityItem,
    AssignmentItem,
    DealItem,
    FxRateItem,
    ParticipantItem,
    QuotaItem,
    SplitItem,
)

Problem = tuple[str, str]  # (field, message)

REPEATED_IN_BATCH = "appears more than once in the batch"


def unknown_participant(ref: str) -> str:
    """The refusal of a reference to no participant."""
    return f"unknown participant {ref!r}"


def repeated_key(key: str, first_line: int) -> str:
    """The refusal of a file's row whose key an earlier line already has."""
    return f"{key!r} is already on line {first_line}"


def unknown_currency(code: str) -> str:
    """The refusal of a currency code that is not ISO 4217."""
    return f"unknown currency {code!r}"


def money(amount: Decimal, currency: str, field: str = "amount") -> tuple[int, list[Problem]]:
    """``amount`` in minor units of ``currency`` (0 when refused), and the problems: an
    unknown currency, a negative amount, more places than the currency has."""
    if not is_known_currency(currency):
        return 0, [("currency", unknown_currency(currency))]
    if amount < 0:
        return 0, [(field, "must not be negative")]
    try:
        return to_minor(amount, currency), []
    except MoneyError as exc:
        return 0, [(field, str(exc))]


def participant_problems(item: ParticipantItem) -> list[Problem]:
    """A participant's currency, dates in order and e-mail."""
    problems: list[Problem] = []
    if not is_known_currency(item.currency):
        problems.append(("currency", unknown_currency(item.currency)))
    if item.start_date and item.end_date and item.end_date < item.start_date:
        problems.append(("end_date", "is before start_date"))
    if item.email is not None and "@" not in item.email:
        problems.append(("email", "is not an e-mail address"))
    return problems


def assignment_problems(item: AssignmentItem) -> list[Problem]:
    """An assignment's dates in order, and nobody as their own manager."""
    problems: list[Problem] = []
    if item.valid_to is not None and item.valid_to < item.valid_from:
        problems.append(("valid_to", "is before valid_from"))
    if item.manager is not None and item.manager == item.participant:
        problems.append(("manager", "a participant cannot manage themselves"))
    return problems


def deal_problems(item: DealItem) -> list[Problem]:
    """A deal's cancel date and splits (its amount: ``money``; its people: references)."""
    problems: list[Problem] = []
    if item.cancel_date is not None:
        if item.status != "cancelled":
            problems.append(("cancel_date", "is only for cancelled deals"))
        elif item.cancel_date < item.close_date:
            problems.append(("cancel_date", "is before close_date"))
    if item.splits:
        problems += split_problems(item.splits)
    return problems


def split_problems(splits: Sequence[SplitItem]) -> list[Problem]:
    """Splits that sum to exactly 100, each share above 0 and at most 100, 4 places."""
    problems: list[Problem] = []
    total = sum((s.percent for s in splits), Decimal(0))
    if total != 100:
        problems.append(("splits", f"percentages sum to {total}, not 100"))
    for n, split in enumerate(splits):
        places = -int(split.percent.as_tuple().exponent)
        if not 0 < split.percent <= 100 or places > 4:
            message = "must be above 0 and at most 100, with at most 4 decimals"
            problems.append((f"splits[{n}].percent", message))
    return problems


def split_participants_problems(participants: Sequence[Hashable]) -> list[Problem]:
    """A deal's splits name each participant (as resolved) once."""
    if len(set(participants)) != len(participants):
        return [("splits", "names a participant more than once")]
    return []


def activity_problems(item: ActivityItem) -> list[Problem]:
    """An activity's quantity is zero or more."""
    return [("quantity", "must not be negative")] if item.quantity < 0 else []


def quota_problems(item: QuotaItem) -> list[Problem]:
    """A quota is zero or more, with at most 4 places."""
    if item.amount < 0 or -int(item.amount.as_tuple().exponent) > 4:
        return [("amount", "must be zero or more, with at most 4 decimals")]
    return []


def fx_rate_problems(item: FxRateItem) -> list[Problem]:
    """A rate between two different known currencies, above zero."""
    problems: list[Problem] = []
    for field, code in (("currency", item.currency), ("to_currency", item.to_currency)):
        if not is_known_currency(code):
            problems.append((field, unknown_currency(code)))
    if item.rate <= 0:
        problems.append(("rate", "must be above zero"))
    if item.currency == item.to_currency:
        problems.append(("to_currency", "is the same currency"))
    return problems


Span = tuple[Any, dt.date, dt.date | None]  # (who, valid_from, valid_to), both inclusive


def overlaps(incoming: Sequence[Span], stored: Sequence[Span], what: str) -> list[tuple[int, str]]:
    """Each incoming span (by position) whose range overlaps another of the same ``who``
    once the batch applies, and the refusal naming the other; ``what`` names the kind.

    Stored spans with the same ``who`` and ``valid_from`` as an incoming one are replaced.
    """
    ranges: dict[Any, dict[dt.date, dt.date | None]] = {}
    for who, start, end in [*stored, *incoming]:
        ranges.setdefault(who, {})[start] = end
    found: list[tuple[int, str]] = []
    for index, (who, start, end) in enumerate(incoming):
        ordered = sorted(ranges[who].items())
        for a, b in itertools.pairwise(ordered):
            if (a[1] is None or a[1] >= b[0]) and (start, end) in (a, b):
                other = b if (start, end) == a else a
                until = other[1].isoformat() if other[1] else "open end"
                found.append((index, f"overlaps the {what} from {other[0].isoformat()} to {until}"))
    return found


# --- management cycles ---------------------------------------------------------------------
# On no day may anyone report to themselves through their managers: each manager in such
# a cycle could read the pay of everyone below all the others (the access rules follow the
# reporting line), and credit would roll up without end.


@dataclass(frozen=True)
class Line:
    """Who a participant reports to from ``first`` to ``last`` (None: open-ended)."""

    participant: int
    first: dt.date
    last: dt.date | None
    manager: int | None


@dataclass(frozen=True)
class Cycle:
    """People in a cycle, starting and ending with the same one, and the days it holds."""

    people: tuple[int, ...]
    first: dt.date
    last: dt.date | None


def _meet(
    a: tuple[dt.date, dt.date | None], b: tuple[dt.date, dt.date | None]
) -> tuple[dt.date, dt.date | None] | None:
    first = max(a[0], b[0])
    ends = [d for d in (a[1], b[1]) if d is not None]
    last = min(ends) if ends else None
    return None if last is not None and last < first else (first, last)


def cycle_through(line: Line, lines: dict[int, list[Line]]) -> Cycle | None:
    """The first cycle ``line`` closes in the hierarchy ``lines`` (by participant; ``line``
    among them), or None. Followed up the manager's line day range by day range, so a
    cycle that holds only where two dated ranges overlap is found too."""
    if line.manager is None:
        return None
    # Depth first up the manager's line: (who, path so far, the days the path holds).
    stack: list[tuple[int, tuple[int, ...], tuple[dt.date, dt.date | None]]] = [
        (line.manager, (line.participant, line.manager), (line.first, line.last))
    ]
    while stack:
        who, path, days = stack.pop()
        if who == line.participant:
            return Cycle(path, *days)
        for above in lines.get(who, ()):
            meet = _meet(days, (above.first, above.last))
            if above.manager is None or meet is None:
                continue
            if above.manager in path[1:]:
                continue  # a loop above that does not come back to this participant
            stack.append((above.manager, (*path, above.manager), meet))
    return None


def describe(cycle: Cycle, names: dict[int, str]) -> str:
    """``makes a management cycle: a → b → a from 2026-03-01`` (``to …`` when it ends)."""
    text = " → ".join(names.get(p, str(p)) for p in cycle.people)
    text += f" from {cycle.first.isoformat()}"
    ends = "" if cycle.last is None else f" to {cycle.last.isoformat()}"
    return f"makes a management cycle: {text}{ends}"
