"""What an evaluation returns: per participant and period, measures, earning lines with
their traces, and the total (the exact sum of the rounded lines).

Amounts in traces are exact Decimals in major units of the payout currency (counts for
count measures); line amounts are integer minor units.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, Protocol

import msgspec
import numpy as np
import numpy.typing as npt

from incentives.engine.plan import DrawRecovery

# What a cap is: the plan's ``cap: {amount: ...}`` or ``cap: {multiple_of_target: ...}``.
CapBasis = Literal["amount", "multiple_of_target"]


class TierStep(msgspec.Struct, frozen=True):
    """One tier crossed: the part of the measure inside ``lower``..``upper`` and what it
    earned. ``rate`` is a fraction of the amount, or an amount per unit for counts."""

    lower: Decimal
    upper: Decimal | None
    rate: Decimal
    base: Decimal
    earned: Decimal


class MeasureResult(msgspec.Struct, frozen=True):
    """A measure's value for a participant and period, with the quota behind attainment."""

    key: str
    name: str
    is_money: bool
    value: Decimal
    quota: Decimal | None = None
    full_quota: Decimal | None = None
    days_active: int = 0
    days_in_period: int = 0
    attainment: Decimal | None = None
    multiplied: tuple[tuple[Decimal, Decimal], ...] = ()
    year_to_date: bool = False


class LineKind(enum.StrEnum):
    """What made a line: a plan component's rule, one of the plan's adjustments, or a
    payment made outside the plan. A trace's ``kind``, as stored and answered."""

    RATE = "rate"
    TIERED = "tiered"
    BONUS = "bonus"
    SPIFF = "spiff"
    PLAN_CAP = "plan_cap"
    CLAWBACK = "clawback"
    DRAW = "draw"
    DRAW_RECOVERY = "draw_recovery"
    ADJUSTMENT = "adjustment"
    MANUAL_ADJUSTMENT = "manual_adjustment"
    CONTEST_PRIZE = "contest_prize"


class Trace(msgspec.Struct, frozen=True):
    """How a line was computed. Only the fields relevant to the line's kind are set."""

    kind: LineKind
    measure: str | None = None
    method: str | None = None
    steps: tuple[TierStep, ...] = ()
    milestones: tuple[tuple[Decimal, Decimal, bool], ...] = ()
    gate: Decimal | None = None
    gate_met: bool | None = None
    cap: Decimal | None = None
    before_cap: Decimal | None = None
    # What a cap is worked out from (None: a trace from before it was recorded): a fixed
    # amount, or a multiple of the annual target incentive pro rata to the months covered.
    cap_basis: CapBasis | None = None
    cap_multiple: Decimal | None = None
    cap_target: Decimal | None = None
    cap_months: int | None = None
    unrounded: Decimal | None = None
    rounding: str = "half_up"
    year_to_date: Decimal | None = None
    previously_paid: Decimal | None = None
    deals: tuple[str, ...] = ()
    draw: Decimal | None = None
    draw_balance: Decimal | None = None
    # A SPIFF's qualifying deals by credited share: (share, how many deals), largest first.
    shares: tuple[tuple[Decimal, int], ...] = ()
    # The draw's lines: the last period it covers (None: no end), whether it has no end
    # (None: a trace from before this was recorded) and how its balance is recovered.
    draw_through: str | None = None
    draw_open_ended: bool | None = None
    recovery: DrawRecovery | None = None
    note: str = ""


class Line(msgspec.Struct, frozen=True):
    """One earning line: a component's pay, or an adjustment (cap, clawback, draw)."""

    component: str
    name: str
    amount: int
    currency: str
    trace: Trace


class Credit(msgspec.Struct, frozen=True):
    """A credit behind a participant's measures: which deal, how much of it, and why."""

    deal_id: str
    close_date: dt.date
    source: str
    share: Decimal
    via: str | None
    amount: Decimal
    deal_currency: str
    deal_amount: Decimal
    fx_rate: Decimal | None
    fx_rate_date: dt.date | None
    # When the deal was cancelled, if it was (whether that takes its credit back depends
    # on the plan's clawback window).
    cancel_date: dt.date | None = None


class UnpaidDeal(msgspec.Struct, frozen=True):
    """A won deal left out of pay: no rate from its currency into the plan's payout
    currency on or before its close date. ``participants``: its owner and split partners."""

    deal_id: str
    close_date: dt.date
    period: str
    currency: str
    payout_currency: str
    participants: tuple[str, ...]

    @property
    def reason(self) -> str:
        """Why it is not paid, in words."""
        return (
            f"no {self.currency}→{self.payout_currency} rate on or before"
            f" {self.close_date.isoformat()}"
        )


class Result(msgspec.Struct, frozen=True):
    """A participant's outcome for one period."""

    participant_id: str
    participant_name: str
    period: str
    currency: str
    measures: tuple[MeasureResult, ...]
    lines: tuple[Line, ...]
    total: int
    notes: tuple[str, ...] = ()

    def measure(self, key: str) -> MeasureResult:
        """The measure with the given key."""
        return next(m for m in self.measures if m.key == key)

    def line(self, component: str) -> Line | None:
        """The line of a component, if it paid anything this period."""
        return next((line for line in self.lines if line.component == component), None)


@dataclass(frozen=True)
class CreditRows:
    """Every credit row of an evaluation as columns, for writing them in bulk.

    ``participant`` and ``via`` are participant rows of the inputs (``via`` -1: a direct
    credit), ``deal`` a deal row, ``period`` an index into ``periods``, ``source`` an
    index into ``sources``. The credited amount is ``payout_minor * share`` millionths
    of a minor unit of the payout currency: exact integers, whatever the deal's currency.
    """

    participant: npt.NDArray[np.int32]
    period: npt.NDArray[np.int64]
    deal: npt.NDArray[np.int64]
    source: npt.NDArray[np.int8]
    via: npt.NDArray[np.int32]
    share: npt.NDArray[np.int64]
    payout_minor: npt.NDArray[np.int64]
    periods: tuple[str, ...]
    sources: tuple[str, ...]


class CreditSource(Protocol):
    """The deal credits of an evaluation: per participant-period, or all as columns."""

    def __call__(self, participant_id: str, period: str) -> tuple[Credit, ...]: ...

    def rows(self) -> CreditRows: ...


@dataclass(frozen=True)
class Evaluation:
    """All results of a plan over a set of periods, in participant then period order."""

    plan_key: str
    currency: str
    results: tuple[Result, ...]
    credit_lookup: CreditSource = field(repr=False, compare=False)
    # Won deals of the evaluated periods that could not be converted, so are not paid.
    unpaid: tuple[UnpaidDeal, ...] = ()

    def credits(self, participant_id: str, period: str) -> tuple[Credit, ...]:
        """The deal credits of a participant in a period (gathered on demand)."""
        return self.credit_lookup(participant_id, period)

    def credit_rows(self) -> CreditRows:
        """Every deal credit as columns (for bulk persistence)."""
        return self.credit_lookup.rows()

    def result(self, participant_id: str, period: str) -> Result:
        """The result of one participant and period."""
        return next(
            r for r in self.results if r.participant_id == participant_id and r.period == period
        )
