"""The commission plan model, as decoded from a plan file.

Structs mirror the file format one to one (see docs/plans.md). Semantic rules that a type
cannot express (tiers in order, a quota behind every attainment tier, ...) are checked by
:mod:`incentives.engine.validate`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cached_property
from typing import Any, Literal

import msgspec

from incentives.bounds import Amount, Count, Name, Quantity
from incentives.bounds import decode_hook as bounds_hook
from incentives.engine.periods import Schedule

PLAN_KINDS: tuple[str, ...] = ("commission",)
# Plan files of these kinds are games (incentives.games), not commission plans.
OTHER_PLAN_KINDS: tuple[str, ...] = ("contest", "achievement")


class Percent(Decimal):
    """A fraction written as a percentage in plan files: ``8%`` is ``Percent('0.08')``."""


class Level:
    """A tier boundary: a percentage of quota (``100%``) or an amount (``50000``).

    A plain class (not a dataclass) so that msgspec decodes it through ``decode_hook``.
    """

    __slots__ = ("percent", "value")

    def __init__(self, value: Decimal, percent: bool) -> None:
        self.value = value
        self.percent = percent

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Level) and (self.value, self.percent) == (
            other.value,
            other.percent,
        )

    def __hash__(self) -> int:
        return hash((self.value, self.percent))

    def __repr__(self) -> str:
        return f"Level({self})"

    def __str__(self) -> str:
        return f"{self.value * 100:f}%" if self.percent else f"{self.value:f}"


def _parse_percent(obj: Any) -> Decimal:
    if not isinstance(obj, str) or not obj.strip().endswith("%"):
        raise ValueError(f"write percentages with a % sign, e.g. 8% (got {obj!r})")
    try:
        return Quantity.read(obj.removesuffix("%")) / 100
    except ValueError:
        raise ValueError(f"not a percentage: {obj!r} ({Quantity.rule()})") from None


def decode_hook(type_: type, obj: Any) -> Any:
    """msgspec ``dec_hook`` for the plan's own value types (Percent and Level) and the
    bounded numbers (``incentives.bounds``)."""
    if type_ is Percent:
        return Percent(_parse_percent(obj))
    if type_ is Level:
        if isinstance(obj, str) and obj.strip().endswith("%"):
            return Level(_parse_percent(obj), percent=True)
        try:
            return Level(Amount.read(obj), percent=False)
        except (ValueError, TypeError):
            raise ValueError(f"not an amount or percentage: {obj!r} ({Amount.rule()})") from None
    return bounds_hook(type_, obj)


class Condition(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A filter on deals or activities. Exactly one form is used:

    ``{field, equals}``, ``{field, in}``, ``{field, at_least and/or below}`` (at_least is
    inclusive, below exclusive), ``{all: [...]}``, ``{any: [...]}`` or ``{not: {...}}``.
    """

    field: str | None = None
    equals: str | None = None
    in_: list[str] | None = msgspec.field(default=None, name="in")
    at_least: str | None = None
    below: str | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = msgspec.field(default=None, name="not")


class Multiplier(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Credit toward a measure multiplied by ``factor`` for deals matching ``where``."""

    where: Condition
    factor: Quantity


class Measure(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """What is counted: a sum or count of won deals or of activities."""

    key: str
    name: str
    source: Literal["deals", "activities"]
    aggregate: Literal["sum", "count"]
    where: Condition | None = None
    quota: bool = False
    multipliers: list[Multiplier] = msgspec.field(default_factory=list)

    @property
    def is_money(self) -> bool:
        """Whether the measure is an amount of money (a sum of deal amounts)."""
        return self.source == "deals" and self.aggregate == "sum"


class Cap(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A ceiling: a fixed amount, or a multiple of the participant's target incentive."""

    amount: Amount | None = None
    multiple_of_target: Quantity | None = None


class Tier(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """``from`` is inclusive, ``to`` exclusive; the last tier has no ``to``."""

    from_: Level = msgspec.field(name="from")
    to: Level | None = None
    rate: Percent | None = None
    per_unit: Amount | None = None


class DealRate(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A rate for the deals matching ``where`` (first match wins)."""

    where: Condition
    rate: Percent


class RateComponent(msgspec.Struct, forbid_unknown_fields=True, frozen=True, tag="rate"):
    """A flat rate on a measure, optionally a different rate for some deals."""

    key: str
    name: str
    measure: str
    rate: Percent | None = None
    per_unit: Amount | None = None
    deal_rates: list[DealRate] = msgspec.field(default_factory=list)
    gate: Percent | None = None
    cap: Cap | None = None


class TieredComponent(msgspec.Struct, forbid_unknown_fields=True, frozen=True, tag="tiered"):
    """Rates by tier of attainment or of amount, graduated or retroactive."""

    key: str
    name: str
    measure: str
    on: Literal["attainment", "amount"]
    method: Literal["graduated", "retroactive"]
    tiers: list[Tier]
    gate: Percent | None = None
    cap: Cap | None = None


class Milestone(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A bonus paid once per period when attainment reaches ``attainment``."""

    attainment: Percent
    amount: Amount


class BonusComponent(msgspec.Struct, forbid_unknown_fields=True, frozen=True, tag="bonus"):
    """Fixed bonuses at attainment milestones of a measure."""

    key: str
    name: str
    measure: str
    milestones: list[Milestone]
    cap: Cap | None = None


class SpiffComponent(msgspec.Struct, forbid_unknown_fields=True, frozen=True, tag="spiff"):
    """A fixed amount per qualifying won deal (shared like the deal's credit)."""

    key: str
    name: str
    per_deal: Amount
    where: Condition | None = None
    cap: Cap | None = None


Component = RateComponent | TieredComponent | BonusComponent | SpiffComponent


class Effective(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The dates the plan applies, both inclusive."""

    from_: dt.date = msgspec.field(name="from")
    to: dt.date


class Crediting(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Who gets credit for a won deal."""

    direct: bool = True
    splits: bool = True
    rollup_levels: Count = 0


# How a recoverable draw's balance is repaid: from pay above the draw while it runs
# (today's rule, the default), or from all earnings before any new top-up.
DrawRecovery = Literal["excess_over_draw", "full"]
# Where a draw's ``for_periods`` count from.
DrawCountsFrom = Literal["participant_start", "plan_start"]


class Draw(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A guaranteed minimum per period, for ``for_periods`` periods counted from
    ``counts_from`` and for periods starting on or before ``until`` (either, both or
    neither). ``recovery`` is None when the file leaves it out: ``recovery_rule`` is the
    rule that applies."""

    amount: Amount
    recoverable: bool
    for_periods: Count | None = None
    max_recovery_per_period: Amount | None = None
    recovery: DrawRecovery | None = None
    counts_from: DrawCountsFrom | None = None
    until: dt.date | None = None

    @property
    def recovery_rule(self) -> DrawRecovery:
        """How the balance is recovered (``excess_over_draw`` unless the plan says)."""
        return self.recovery or "excess_over_draw"

    @property
    def counted_from(self) -> DrawCountsFrom:
        """Where ``for_periods`` count from (``participant_start`` unless the plan says)."""
        return self.counts_from or "participant_start"

    @property
    def open_ended(self) -> bool:
        """Whether the draw pays every period: neither ``for_periods`` nor ``until``."""
        return self.for_periods is None and self.until is None


class Clawback(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A won deal cancelled within ``within_days`` of its close date is reversed."""

    within_days: Count


class CommissionPlan(msgspec.Struct, forbid_unknown_fields=True, frozen=True, dict=True):
    """A commission plan: measures, components and the rules around them.

    ``dict=True`` gives the struct room for its cached ``schedule``."""

    kind: Literal["commission"]
    key: str
    version: Count
    name: Name
    effective: Effective
    payout_currency: str
    period: Literal["month", "quarter", "year"]
    measures: list[Measure]
    components: list[Component]
    fiscal_year_starts: Count = 1
    true_up: Literal["none", "year_to_date"] = "none"
    rounding: Literal["half_up", "half_even", "down"] = "half_up"
    crediting: Crediting = msgspec.field(default_factory=Crediting)
    cap: Cap | None = None
    draw: Draw | None = None
    clawback: Clawback | None = None

    def measure(self, key: str) -> Measure:
        """The measure with the given key."""
        return next(m for m in self.measures if m.key == key)

    @cached_property
    def schedule(self) -> Schedule:
        """The plan's periods over its effective dates, computed once."""
        return Schedule.of(
            self.effective.from_, self.effective.to, self.period, self.fiscal_year_starts
        )

    @property
    def carries_over(self) -> bool:
        """Whether a period's pay depends on earlier periods' deals: a draw's balance, a
        year-to-date true-up, or a clawback reversing an earlier period's pay. Without
        them every period is settled from its own deals alone."""
        return self.draw is not None or self.true_up != "none" or self.clawback is not None
