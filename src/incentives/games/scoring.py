"""Standings, ranks and prizes of a contest (pure: no I/O, no clock).

An entry is a participant's score (and target); a standing is what the contest ranks: the
participant, or their team (its members' scores summed or averaged). The ranking value is
the score, or the score as a fraction of the target (the handicap that lets anyone win).
Higher values rank first; without a value (percent of target with no target) last. On
equal values, ``first_to_reach`` ranks first whoever reached the score first, then the one
whose reaching event has the smaller external id, then the subject with the smaller
external id, so that nobody who has scored shares a rank; with ``shared`` equal values
share a competition rank (1, 1, 3). Subjects who have reached nothing share a rank either
way. Every board, page and final rank is ordered by ``sort_key``.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import msgspec

from incentives.games.model import Prize
from incentives.games.model import TieBreak as TieBreak  # named here by ranking's callers

Basis = Literal["score", "percent_of_target"]
# Percent of target is kept as a fraction to 1e-8 (0.000001%), team averages to 1e-6.
PERCENT_PLACES = Decimal("1e-8")
AVERAGE_PLACES = Decimal("1e-6")
_NEVER = dt.datetime.max.replace(tzinfo=dt.UTC)


class Entry(msgspec.Struct, frozen=True, gc=False):
    """A participant in a contest: score, target (None: none), when they reached the score
    and the external id of the event that reached it (both None while it is nothing)."""

    participant: int
    team: int | None
    score: Decimal
    target: Decimal | None
    reached_at: dt.datetime | None
    reaching_event: str | None = None


# Boards keep hundreds of thousands of standings for the life of a process: as Structs
# untracked by the cyclic garbage collector (they hold no cycles), a full collection does
# not walk them (it would take ~90 ms for 200,000 tracked objects, stalling readers).
class Standing(msgspec.Struct, frozen=True, gc=False):
    """A ranked subject (participant or team) and the value it is ranked on; its external
    id is the last tie-break (left empty on standings that are only written, not ranked)."""

    subject: int
    score: Decimal
    target: Decimal | None
    value: Decimal | None
    reached_at: dt.datetime | None
    members: int = 1
    reaching_event: str | None = None
    external_id: str = ""

    @property
    def percent(self) -> Decimal | None:
        """The score as a fraction of the target, when there is a target."""
        return percent_of(self.score, self.target)


class Ranked(msgspec.Struct, frozen=True, gc=False):
    """A standing with its rank."""

    rank: int
    standing: Standing


def percent_of(score: Decimal, target: Decimal | None) -> Decimal | None:
    """``score / target`` as a fraction rounded half-up to 1e-8; None without a target."""
    if target is None or target <= 0:
        return None
    return (score / target).quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)


def _value(score: Decimal, target: Decimal | None, basis: Basis) -> Decimal | None:
    return score if basis == "score" else percent_of(score, target)


def individual(entry: Entry, basis: Basis) -> Standing:
    """A participant's own standing."""
    return Standing(
        entry.participant,
        entry.score,
        entry.target,
        _value(entry.score, entry.target, basis),
        entry.reached_at,
        reaching_event=entry.reaching_event,
    )


def team(
    team_id: int, members: Sequence[Entry], combine: Literal["sum", "average"], basis: Basis
) -> Standing:
    """A team's standing from its members' entries: their scores (and the targets of those
    who have one) summed, or averaged over the members; reached when (and with the event
    with which) its last member reached their score."""
    count = len(members)
    score = sum((m.score for m in members), Decimal(0))
    targets = [m.target for m in members if m.target is not None]
    target = sum(targets, Decimal(0)) if targets else None
    if combine == "average" and count:
        score = (score / count).quantize(AVERAGE_PLACES, rounding=ROUND_HALF_UP)
        if target is not None:
            target = (target / count).quantize(AVERAGE_PLACES, rounding=ROUND_HALF_UP)
    reached = [(m.reached_at, m.reaching_event or "") for m in members if m.reached_at is not None]
    last_at, last_event = max(reached, default=(None, None))
    return Standing(
        team_id,
        score,
        target,
        _value(score, target, basis),
        last_at,
        count,
        reaching_event=last_event,
    )


def standings(
    entries: Iterable[Entry],
    *,
    scope: Literal["individuals", "teams"],
    combine: Literal["sum", "average"],
    basis: Basis,
) -> list[Standing]:
    """Every standing of a contest from all its entries."""
    if scope == "individuals":
        return [individual(e, basis) for e in entries]
    by_team: dict[int, list[Entry]] = {}
    for entry in entries:
        if entry.team is not None:
            by_team.setdefault(entry.team, []).append(entry)
    return [team(t, members, combine, basis) for t, members in by_team.items()]


Key = tuple[bool, Decimal, bool, dt.datetime, str, str, int]


def sort_key(standing: Standing) -> Key:
    """Board order: value (highest first, none last), then who reached it first, then the
    external ids of the reaching event and of the subject, then the id."""
    value, reached = standing.value, standing.reached_at
    return (
        value is None,
        -(value or Decimal(0)),
        reached is None,
        reached or _NEVER,
        standing.reaching_event or "",
        standing.external_id,
        standing.subject,
    )


def rank_prefix(standing: Standing, tie_break: TieBreak) -> tuple[object, ...]:
    """The part of the board order that separates ranks under the tie-break rule: the
    value alone when shared; the whole order when first to reach, except among those who
    have reached nothing (there is no first among them)."""
    key = sort_key(standing)
    if tie_break == "shared":
        return key[:2]
    return key if standing.reached_at is not None else key[:4]


def rank(items: Iterable[Standing], tie_break: TieBreak) -> list[Ranked]:
    """Standings in board order with their competition ranks."""
    ordered = sorted(items, key=sort_key)
    ranked: list[Ranked] = []
    for index, standing in enumerate(ordered):
        tied = ranked and rank_prefix(ranked[-1].standing, tie_break) == rank_prefix(
            standing, tie_break
        )
        ranked.append(Ranked(ranked[-1].rank if tied else index + 1, standing))
    return ranked


class Board:
    """A contest's standings kept in board order, for ranks and pages in logarithmic time
    while single standings change (a live leaderboard in memory)."""

    def __init__(self, tie_break: TieBreak, items: Iterable[Standing] = ()) -> None:
        self.tie_break = tie_break
        self._by_subject: dict[int, Standing] = {}
        self._keys: list[Key] = []
        self.put(items)

    def __len__(self) -> int:
        return len(self._keys)

    def put(self, items: Iterable[Standing]) -> None:
        """Add standings, or replace those of the same subjects."""
        for standing in items:
            old = self._by_subject.get(standing.subject)
            if old is not None:
                del self._keys[bisect.bisect_left(self._keys, sort_key(old))]
            self._by_subject[standing.subject] = standing
            bisect.insort(self._keys, sort_key(standing))

    def drop(self, subjects: Iterable[int]) -> None:
        """Remove the standings of these subjects (those present)."""
        for subject in subjects:
            old = self._by_subject.pop(subject, None)
            if old is not None:
                del self._keys[bisect.bisect_left(self._keys, sort_key(old))]

    def get(self, subject: int) -> Standing | None:
        """A subject's standing, if it is on the board."""
        return self._by_subject.get(subject)

    def rank_of(self, subject: int) -> int | None:
        """A subject's rank: one more than the number of standings ranked strictly ahead."""
        standing = self._by_subject.get(subject)
        if standing is None:
            return None
        return bisect.bisect_left(self._keys, rank_prefix(standing, self.tie_break)) + 1

    def page(self, offset: int, limit: int) -> list[Ranked]:
        """``limit`` standings from position ``offset`` (0: the top), with their ranks."""
        out: list[Ranked] = []
        for key in self._keys[offset : offset + limit]:
            standing = self._by_subject[key[-1]]
            out.append(Ranked(self.rank_of(standing.subject) or 0, standing))
        return out

    def ranked(self) -> list[Ranked]:
        """The whole board, in order."""
        return self.page(0, len(self._keys))


class Win(msgspec.Struct, frozen=True):
    """A prize won: by which subject, which prize (its position in the contest), at what rank."""

    subject: int
    prize_no: int
    rank: int


def winners(ranked: Sequence[Ranked], prizes: Sequence[Prize]) -> list[Win]:
    """Who wins what: every subject whose rank falls in a prize's ranks (tied ranks all
    win), and every subject whose ranking value reaches a prize's threshold."""
    wins: list[Win] = []
    for number, prize in enumerate(prizes):
        for item in ranked:
            value = item.standing.value
            if prize.rank is not None:
                last = prize.rank if prize.to_rank is None else prize.to_rank
                won = prize.rank <= item.rank <= last and item.standing.score > 0
            else:
                assert prize.at_least is not None  # validated: rank or at_least
                won = value is not None and value >= prize.at_least.value
            if won:
                wins.append(Win(item.standing.subject, number, item.rank))
    return wins


def movement(day_ranks: Mapping[int, int], subject: int, now: int | None) -> int | None:
    """Places gained since the day's opening ranks (negative: lost); None if unknown."""
    before = day_ranks.get(subject)
    return None if before is None or now is None else before - now
