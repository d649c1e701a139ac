"""Prior-period adjustments, compared: what each closed period paid against what the plan
now says it earned, per participant and component, and whose deal credit to it moved.

The caller reads what was paid and credited from wherever it keeps them; this module only
compares. Participants are named as the caller names them (``K``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar

from incentives.engine.results import Result

K = TypeVar("K", int, str)


@dataclass(frozen=True)
class PaidLine(Generic[K]):
    """What a closed period paid a participant for a component (its lines and the
    adjustments later periods paid for it); ``name`` None: only adjustments paid it."""

    participant: K
    period: str
    component: str
    name: str | None
    amount: int


@dataclass(frozen=True)
class Difference(Generic[K]):
    """A closed period's component that now comes to ``now`` where it paid ``paid``."""

    participant: K
    period: str
    component: str
    name: str
    paid: int
    now: int


def differences(
    earned: Iterable[tuple[K, Result]], paid: Iterable[PaidLine[K]], closed: Sequence[str]
) -> list[Difference[K]]:
    """Each component whose pay for a closed period (``closed``, in date order) differs
    between the recomputed results (``earned``: the participant and their result) and
    what was paid; ordered by participant, period and component."""
    order = {label: k for k, label in enumerate(closed)}
    now: dict[tuple[K, str], dict[str, int]] = defaultdict(dict)
    names: dict[tuple[str, str], str] = {}
    for participant, result in earned:
        if result.period not in order:
            continue
        for line in result.lines:
            now[(participant, result.period)][line.component] = line.amount
            names[(result.period, line.component)] = line.name
    settled: dict[tuple[K, str], dict[str, int]] = defaultdict(dict)
    for row in paid:
        settled[(row.participant, row.period)][row.component] = row.amount
        if row.name is not None:
            names.setdefault((row.period, row.component), row.name)
    # A period outside ``closed`` (paid under another schedule) is not this run's to adjust.
    keys = sorted(
        (k for k in set(now) | set(settled) if k[1] in order), key=lambda k: (k[0], order[k[1]])
    )
    found = []
    for participant, period in keys:
        after, before = now.get((participant, period), {}), settled.get((participant, period), {})
        for component in sorted(set(after) | set(before)):
            was, comes_to = before.get(component, 0), after.get(component, 0)
            if was != comes_to:
                name = names.get((period, component), component)
                found.append(Difference(participant, period, component, name, was, comes_to))
    return found


@dataclass(frozen=True)
class CreditChange:
    """A deal whose credit to a period moved: None on a side where it had none."""

    deal: int
    before: Decimal | None
    after: Decimal | None


def credit_changes(
    before: Mapping[int, Decimal], after: Mapping[int, Decimal]
) -> list[CreditChange]:
    """The deals (by id, in order) credited differently ``before`` and ``after``."""
    return [
        CreditChange(deal, before.get(deal), after.get(deal))
        for deal in sorted(set(before) | set(after))
        if before.get(deal) != after.get(deal)
    ]
