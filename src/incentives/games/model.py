"""Contest and achievement files: the model as decoded, and every check a type cannot make.

Both are plan files (``kind: contest`` / ``kind: achievement``) read like commission plans:
scalars as text, every problem reported at once with its path. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Literal

import msgspec

from incentives.bounds import MAX_KEY, Amount, Count, Description, Name, Quantity, Word
from incentives.engine.conditions import PARTICIPANT_FIELDS
from incentives.engine.decode import decode_as
from incentives.engine.money import exponent, is_known_currency
from incentives.engine.plan import Condition, Effective, Level, Percent
from incentives.engine.validate import Problem, check_condition

_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_PERIOD = re.compile(r"^[0-9]{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$")
MAX_WITHIN_DAYS = 3660
MAX_STREAK = 24


class Eligibility(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Who takes part; everything given must hold (nothing given: everyone employed
    during the window)."""

    teams: list[str] | None = None
    participants: list[str] | None = None
    where: Condition | None = None


class TotalScore(msgspec.Struct, forbid_unknown_fields=True, frozen=True, tag="total"):
    """The sum (deal amounts, activity quantities) or count of what matches ``where``."""

    source: Literal["deals", "activities"]
    aggregate: Literal["sum", "count"]
    where: Condition | None = None


class PointsFor(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """``points`` for each deal won (by credited share) or activity (by quantity)."""

    source: Literal["deals", "activities"]
    points: Quantity
    where: Condition | None = None


class PointsScore(msgspec.Struct, forbid_unknown_fields=True, frozen=True, tag="points"):
    """Points per kind of event, e.g. 10 per meeting held and 50 per deal won."""

    per: list[PointsFor]


Score = TotalScore | PointsScore


class Target(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Each participant's own target: their quota of ``measure`` for ``period``, prorated
    to the days of the window inside that period."""

    measure: str
    period: str


# Who goes first on equal values: whoever reached the value first, or nobody (a shared rank).
TieBreak = Literal["first_to_reach", "shared"]
# What "reached first" is measured on: the event's own date (a deal's close date, an
# activity's time) or when the server received it.
ReachedBy = Literal["event", "received"]


class Ranking(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """What is ranked, and who goes first on equal values."""

    basis: Literal["score", "percent_of_target"] = "score"
    target: Target | None = None
    tie_break: TieBreak = "first_to_reach"
    # None (left out): ``received``; kept apart so that giving it with ``shared`` is refused.
    reached_by: ReachedBy | None = None

    @property
    def reached_on(self) -> ReachedBy:
        """What reaching a score first is measured on (``received`` unless told)."""
        return self.reached_by or "received"


class Prize(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """What ranks ``rank``..``to_rank`` win, or everyone whose ranking value reaches
    ``at_least`` (a percentage when ranking on percent of target)."""

    rank: Count | None = None
    to_rank: Count | None = None
    at_least: Level | None = None
    points: Count = 0
    badge: Word | None = None
    cash: Amount | None = None


class Contest(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A contest: who plays, over which days, for what score, ranked how, for which prizes."""

    kind: Literal["contest"]
    key: str
    name: Name
    window: Effective
    score: Score
    version: Count = 1
    description: Description = ""
    currency: str | None = None
    participants: Eligibility = msgspec.field(default_factory=Eligibility)
    scope: Literal["individuals", "teams"] = "individuals"
    team_score: Literal["sum", "average"] = "sum"
    ranking: Ranking = msgspec.field(default_factory=Ranking)
    prizes: list[Prize] = msgspec.field(default_factory=list)
    visibility: Literal["public", "test"] = "public"

    @property
    def is_money(self) -> bool:
        """Whether the score is an amount of money (a sum of deal amounts)."""
        score = self.score
        return (
            isinstance(score, TotalScore) and score.source == "deals" and score.aggregate == "sum"
        )

    @property
    def effective(self) -> Effective:
        """The days the contest covers (its window), as for any plan file."""
        return self.window


class DealTrigger(msgspec.Struct, forbid_unknown_fields=True, frozen=True, tag="deal"):
    """Each won deal matching ``where``; revoked if the deal is cancelled or stops matching."""

    where: Condition | None = None


class FirstDealTrigger(msgspec.Struct, forbid_unknown_fields=True, frozen=True, tag="first_deal"):
    """A participant's first won deal, within ``within_days`` of their start date."""

    within_days: Count


class ActivitiesTrigger(msgspec.Struct, forbid_unknown_fields=True, frozen=True, tag="activities"):
    """At least ``at_least`` activities (by quantity) matching ``where`` in one day, ISO
    week or calendar month; awarded once per such day, week or month."""

    at_least: Quantity
    per: Literal["day", "week", "month"] = "week"
    where: Condition | None = None


class StreakTrigger(msgspec.Struct, forbid_unknown_fields=True, frozen=True, tag="streak"):
    """``periods`` consecutive ended periods at or above ``attainment`` of a measure."""

    measure: Word
    periods: Count
    attainment: Percent
    period: Literal["month", "quarter", "year"] = "quarter"
    plan: str | None = None


class LevelStep(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A level reached at ``points`` accumulated points; its name is its badge."""

    name: Word
    points: Count


class LevelsTrigger(msgspec.Struct, forbid_unknown_fields=True, frozen=True, tag="levels"):
    """Levels by accumulated points, lowest first."""

    levels: list[LevelStep]


Trigger = DealTrigger | FirstDealTrigger | ActivitiesTrigger | StreakTrigger | LevelsTrigger


class Achievement(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A rule awarding points and a badge when a participant's events or results meet it."""

    kind: Literal["achievement"]
    key: str
    version: Count
    name: Name
    effective: Effective
    when: Trigger
    description: Description = ""
    currency: str | None = None
    points: Count = 0
    badge: str | None = None


def decode_contest(raw: Any) -> tuple[Contest | None, list[Problem]]:
    """Decode a parsed contest document: the contest, or None and every problem."""
    contest, problems = decode_as(raw, Contest)
    if contest is None:
        return None, problems
    problems = list(_check_contest(contest))
    return (None if problems else contest), problems


def decode_achievement(raw: Any) -> tuple[Achievement | None, list[Problem]]:
    """Decode a parsed achievement document: the rule, or None and every problem."""
    achievement, problems = decode_as(raw, Achievement)
    if achievement is None:
        return None, problems
    problems = list(_check_achievement(achievement))
    return (None if problems else achievement), problems


def _check_common(key: str, version: int, effective: Effective, path: str) -> Iterator[Problem]:
    if not _KEY.match(key):
        yield Problem("key", "use lower-case letters, digits, '-' and '_' only")
    elif len(key) > MAX_KEY:
        yield Problem("key", f"at most {MAX_KEY} characters")
    if version < 1:
        yield Problem("version", "must be 1 or more")
    if effective.to < effective.from_:
        yield Problem(f"{path}.to", "ends before it starts")


def _check_currency(currency: str | None, needed: str | None) -> Iterator[Problem]:
    if currency is not None and not is_known_currency(currency):
        yield Problem("currency", f"not an ISO 4217 currency: {currency!r}")
    elif currency is None and needed is not None:
        yield Problem("currency", f"missing: {needed} need a currency")


def _mentions(condition: Condition | None, field: str) -> bool:
    if condition is None:
        return False
    children = [*(condition.all or ()), *(condition.any or ())]
    if condition.not_ is not None:
        children.append(condition.not_)
    return condition.field == field or any(_mentions(c, field) for c in children)


def _check_money(amount: Decimal, path: str, currency: str | None) -> Iterator[Problem]:
    if amount <= 0:
        yield Problem(path, "must be above 0")
    elif currency is not None and is_known_currency(currency):
        places = exponent(currency)
        if amount != amount.quantize(Decimal(1).scaleb(-places)):
            yield Problem(path, f"more decimal places than {currency} has ({places})")


def _check_badge(badge: str | None, path: str) -> Iterator[Problem]:
    if badge is not None and not _KEY.match(badge):
        yield Problem(path, "use lower-case letters, digits, '-' and '_' only")


def _check_contest(contest: Contest) -> Iterator[Problem]:
    yield from _check_common(contest.key, contest.version, contest.window, "window")
    if contest.key.isdigit():
        yield Problem("key", "needs a letter: a number alone reads as a contest's id")
    if not contest.name.strip():
        yield Problem("name", "must not be empty")
    score = contest.score
    rules = [score] if isinstance(score, TotalScore) else score.per
    amounts = any(r.source == "deals" and _mentions(r.where, "amount") for r in rules)
    needed = (
        "a score of deal amounts"
        if contest.is_money
        else "cash prizes"
        if any(p.cash is not None for p in contest.prizes)
        else "conditions on deal amounts"
        if amounts
        else None
    )
    yield from _check_currency(contest.currency, needed)
    yield from _check_eligibility(contest.participants)
    if isinstance(score, TotalScore):
        if score.where is not None:
            yield from check_condition(score.where, score.source, "score.where")
    else:
        if not score.per:
            yield Problem("score.per", "needs at least one kind of event")
        for index, rule in enumerate(score.per):
            path = f"score.per[{index}]"
            if rule.points <= 0:
                yield Problem(f"{path}.points", "must be above 0")
            if rule.where is not None:
                yield from check_condition(rule.where, rule.source, f"{path}.where")
    ranking = contest.ranking
    if ranking.basis == "percent_of_target" and ranking.target is None:
        yield Problem("ranking.target", "missing: ranking on percent of target needs a target")
    if ranking.target is not None:
        if not _KEY.match(ranking.target.measure):
            yield Problem("ranking.target.measure", "not a measure key")
        if not _PERIOD.match(ranking.target.period):
            yield Problem("ranking.target.period", "a period label: 2026, 2026-Q1 or 2026-03")
    if ranking.reached_by is not None and ranking.tie_break == "shared":
        yield Problem(
            "ranking.reached_by", "only with tie_break: first_to_reach; shared ranks do not use it"
        )
    yield from _check_prizes(contest)


def _check_eligibility(eligibility: Eligibility) -> Iterator[Problem]:
    for name in ("teams", "participants"):
        listed = getattr(eligibility, name)
        if listed is not None and not listed:
            yield Problem(f"participants.{name}", "needs at least one (or leave it out)")
    if eligibility.where is not None:
        yield from _unknown_fields(eligibility.where, "participants.where")
        yield from check_condition(eligibility.where, "participants", "participants.where")


def _unknown_fields(condition: Condition, path: str) -> Iterator[Problem]:
    if condition.field is not None and condition.field not in PARTICIPANT_FIELDS:
        known = ", ".join(PARTICIPANT_FIELDS)
        yield Problem(f"{path}.field", f"participants have no field {condition.field!r}: {known}")
    for name, children in (("all", condition.all), ("any", condition.any)):
        for index, child in enumerate(children or ()):
            yield from _unknown_fields(child, f"{path}.{name}[{index}]")
    if condition.not_ is not None:
        yield from _unknown_fields(condition.not_, f"{path}.not")


def _check_prizes(contest: Contest) -> Iterator[Problem]:
    percent = contest.ranking.basis == "percent_of_target"
    taken: list[tuple[int, int, int]] = []
    for index, prize in enumerate(contest.prizes):
        path = f"prizes[{index}]"
        if (prize.rank is None) == (prize.at_least is None):
            yield Problem(path, "give exactly one of: rank (with to_rank), at_least")
        if prize.rank is not None:
            last = prize.rank if prize.to_rank is None else prize.to_rank
            if prize.rank < 1:
                yield Problem(f"{path}.rank", "ranks start at 1")
            elif last < prize.rank:
                yield Problem(f"{path}.to_rank", "must be at or after rank")
            else:
                for other, first, end in taken:
                    if prize.rank <= end and last >= first:
                        yield Problem(f"{path}.rank", f"overlaps the ranks of prizes[{other}]")
                taken.append((index, prize.rank, last))
        elif prize.to_rank is not None:
            yield Problem(f"{path}.to_rank", "only with rank")
        if prize.at_least is not None:
            if prize.at_least.percent != percent:
                expected = "a percentage (e.g. 100%)" if percent else "a score, not a percentage"
                yield Problem(
                    f"{path}.at_least", f"the ranking is on {_basis(percent)}: {expected}"
                )
            elif prize.at_least.value <= 0:
                yield Problem(f"{path}.at_least", "must be above 0")
        if prize.points == 0 and prize.badge is None and prize.cash is None:
            yield Problem(path, "award something: points, a badge or cash")
        if prize.points < 0:
            yield Problem(f"{path}.points", "cannot be negative")
        yield from _check_badge(prize.badge, f"{path}.badge")
        if prize.cash is not None:
            yield from _check_money(prize.cash, f"{path}.cash", contest.currency)


def _basis(percent: bool) -> str:
    return "percent of target" if percent else "the score"


def _check_achievement(rule: Achievement) -> Iterator[Problem]:
    yield from _check_common(rule.key, rule.version, rule.effective, "effective")
    when = rule.when
    needed = (
        "conditions on deal amounts"
        if isinstance(when, DealTrigger) and _mentions(when.where, "amount")
        else None
    )
    yield from _check_currency(rule.currency, needed)
    yield from _check_badge(rule.badge, "badge")
    if rule.points < 0:
        yield Problem("points", "cannot be negative")
    if isinstance(when, LevelsTrigger):
        if rule.points or rule.badge is not None:
            yield Problem("points", "levels award their own badges; leave out points and badge")
        yield from _check_levels(when)
        return
    if rule.points == 0 and rule.badge is None:
        yield Problem("points", "award something: points or a badge")
    if isinstance(when, DealTrigger) and when.where is not None:
        yield from check_condition(when.where, "deals", "when.where")
    elif isinstance(when, FirstDealTrigger) and not 1 <= when.within_days <= MAX_WITHIN_DAYS:
        yield Problem("when.within_days", f"must be between 1 and {MAX_WITHIN_DAYS}")
    elif isinstance(when, ActivitiesTrigger):
        if when.at_least <= 0:
            yield Problem("when.at_least", "must be above 0")
        if when.where is not None:
            yield from check_condition(when.where, "activities", "when.where")
    elif isinstance(when, StreakTrigger):
        if not 2 <= when.periods <= MAX_STREAK:
            yield Problem("when.periods", f"must be between 2 and {MAX_STREAK}")
        if when.attainment <= 0:
            yield Problem("when.attainment", "must be above 0%")
        if not _KEY.match(when.measure):
            yield Problem("when.measure", "not a measure key")


def _check_levels(when: LevelsTrigger) -> Iterator[Problem]:
    if not when.levels:
        yield Problem("when.levels", "needs at least one level")
    previous: int | None = None
    names: set[str] = set()
    for index, level in enumerate(when.levels):
        path = f"when.levels[{index}]"
        yield from _check_badge(level.name, f"{path}.name")
        if level.name in names:
            yield Problem(f"{path}.name", f"'{level.name}' is used twice")
        names.add(level.name)
        if level.points <= 0:
            yield Problem(f"{path}.points", "must be above 0")
        elif previous is not None and level.points <= previous:
            yield Problem(f"{path}.points", "levels must go up in order")
        previous = level.points
