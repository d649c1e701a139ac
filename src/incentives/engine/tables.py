"""Columnar engine inputs: numpy arrays of ids, day numbers, category codes and integer
minor units, so that crediting and aggregation over millions of deals run set-wise.

Days are ``date.toordinal()`` numbers. Participants are referred to by their row index.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

import numpy as np
import numpy.typing as npt

from incentives.engine.coverage import Cover, paid_in
from incentives.engine.periods import Period
from incentives.engine.records import (
    DEAL_STATUSES,
    Activity,
    Assignment,
    Deal,
    FxRate,
    Participant,
    Quota,
    Split,
)

IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]
# Resolves a participant id to its row, noting a problem (and returning -1) if unknown.
_Ref = Callable[[str, str], int]

# A day after any real date: the open end of "still employed" or "still current".
OPEN_END = dt.date.max.toordinal()
# Split shares are stored in millionths of the deal (a percent with up to 4 decimals).
SHARE_SCALE = 1_000_000
_PERCENT_PLACES = 4


class InputError(ValueError):
    """Inputs that contradict each other (unknown ids, splits not summing to 100, ...)."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def day(value: dt.date) -> int:
    """The day number of a date."""
    return value.toordinal()


@dataclass(frozen=True, eq=False)
class Categories:
    """A text column as integer codes into sorted distinct labels."""

    codes: Int32Array
    labels: tuple[str, ...]

    @classmethod
    def encode(cls, values: Iterable[str]) -> Categories:
        """Encode a sequence of strings."""
        values = list(values)
        labels = tuple(sorted(set(values)))
        lookup = {label: code for code, label in enumerate(labels)}
        return cls(np.array([lookup[v] for v in values], dtype=np.int32), labels)

    def where(self, accept: Sequence[bool]) -> BoolArray:
        """Rows whose label is accepted (``accept`` has one flag per label)."""
        table = np.array(accept, dtype=np.bool_) if accept else np.zeros(0, dtype=np.bool_)
        if table.size == 0:
            return np.zeros(self.codes.shape, dtype=np.bool_)
        return table[self.codes]

    def __getitem__(self, row: int) -> str:
        return self.labels[int(self.codes[row])]


@dataclass(frozen=True, eq=False)
class ParticipantTable:
    """Participants; ``end_day`` is inclusive (OPEN_END while employed)."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    emails: tuple[str, ...]
    currencies: tuple[str, ...]
    start_day: Int32Array
    end_day: Int32Array
    target_incentive: IntArray

    @cached_property
    def index(self) -> dict[str, int]:
        """Row index by participant id."""
        return {pid: row for row, pid in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True, eq=False)
class AssignmentTable:
    """Reporting lines; ``valid_to`` is inclusive (OPEN_END while current), manager -1: none."""

    participant: Int32Array
    manager: Int32Array
    valid_from: Int32Array
    valid_to: Int32Array
    team: Categories


@dataclass(frozen=True, eq=False)
class DealTable:
    """Deals; ``amount`` in minor units of the deal's currency; ``cancel_day`` 0 when none."""

    ids: npt.NDArray[np.generic]
    owner: Int32Array
    amount: IntArray
    currency: Categories
    close_day: Int32Array
    status: Categories
    product: Categories
    cancel_day: Int32Array
    attributes: Mapping[str, Categories] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.amount)


@dataclass(frozen=True, eq=False)
class SplitTable:
    """Credit shares: ``deal`` is a row of the deal table, ``share`` in millionths."""

    deal: IntArray
    participant: Int32Array
    share: IntArray


@dataclass(frozen=True, eq=False)
class ActivityTable:
    """Activities with an integer quantity, and their free attributes."""

    ids: npt.NDArray[np.generic]
    participant: Int32Array
    type: Categories
    day: Int32Array
    quantity: IntArray
    attributes: Mapping[str, Categories] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.quantity)


@dataclass(frozen=True)
class Inputs:
    """Everything a plan is evaluated over. Quotas are keyed by (participant row, period
    label, measure key); fx rates are (currency, day, rate to the payout currency)."""

    participants: ParticipantTable
    assignments: AssignmentTable
    quotas: Mapping[tuple[int, str, str], int]
    deals: DealTable
    splits: SplitTable
    activities: ActivityTable
    fx_rates: tuple[tuple[str, int, Decimal], ...] = ()
    # Who the plan pays and when, by participant row (a row without covers is not paid).
    covers: Mapping[int, Sequence[Cover]] = field(default_factory=dict)

    def paid(self, participant_id: str, period: Period) -> bool:
        """Whether the participant is under the plan for any day of the period."""
        row = self.participants.index[participant_id]
        return paid_in(self.covers.get(row, ()), period)

    @classmethod
    def from_rows(
        cls,
        participants: Sequence[Participant],
        deals: Sequence[Deal] = (),
        *,
        assignments: Sequence[Assignment] = (),
        quotas: Sequence[Quota] = (),
        splits: Sequence[Split] = (),
        activities: Sequence[Activity] = (),
        fx_rates: Sequence[FxRate] = (),
    ) -> Inputs:
        """Build columnar inputs from plain rows; raises InputError listing every
        inconsistency (unknown ids, splits not summing to 100, ...)."""
        problems: list[str] = []
        people = _participant_table(participants, problems)
        index = people.index

        def ref(pid: str, where: str) -> int:
            if pid not in index:
                problems.append(f"{where}: '{pid}' is not a participant")
                return -1
            return index[pid]

        assignment_table = AssignmentTable(
            participant=_i32(ref(a.participant_id, "assignment") for a in assignments),
            manager=_i32(
                -1 if a.manager_id is None else ref(a.manager_id, "assignment manager")
                for a in assignments
            ),
            valid_from=_i32(day(a.valid_from) for a in assignments),
            valid_to=_i32(OPEN_END if a.valid_to is None else day(a.valid_to) for a in assignments),
            team=Categories.encode(a.team for a in assignments),
        )
        quota_map = {
            (ref(q.participant_id, "quota"), q.period, q.measure): q.amount for q in quotas
        }
        deal_table = _deal_table(deals, ref, problems)
        deal_index = {d.id: row for row, d in enumerate(deals)}
        split_table = _split_table(splits, deal_index, ref, problems)
        activity_table = ActivityTable(
            ids=np.array([a.id for a in activities], dtype=object),
            participant=_i32(ref(a.participant_id, "activity") for a in activities),
            type=Categories.encode(a.type for a in activities),
            day=_i32(day(a.occurred_on) for a in activities),
            quantity=np.array([a.quantity for a in activities], dtype=np.int64),
            attributes=_attributes([a.attributes for a in activities]),
        )
        if problems:
            raise InputError(problems)
        rates = tuple(sorted((r.currency, day(r.date), r.rate) for r in fx_rates))
        return cls(
            people, assignment_table, quota_map, deal_table, split_table, activity_table, rates
        )


def _i32(values: Iterable[int]) -> Int32Array:
    return np.fromiter(values, dtype=np.int32)


def _attributes(rows: Sequence[Mapping[str, str]]) -> dict[str, Categories]:
    """Free attribute columns of rows; a row without an attribute has it empty."""
    names = sorted({name for row in rows for name in row})
    return {n: Categories.encode(row.get(n, "") for row in rows) for n in names}


def _participant_table(rows: Sequence[Participant], problems: list[str]) -> ParticipantTable:
    seen: set[str] = set()
    for p in rows:
        if p.id in seen:
            problems.append(f"participant '{p.id}' appears twice")
        seen.add(p.id)
    return ParticipantTable(
        ids=tuple(p.id for p in rows),
        names=tuple(p.name for p in rows),
        emails=tuple(p.email for p in rows),
        currencies=tuple(p.currency for p in rows),
        start_day=_i32(day(p.start_date) for p in rows),
        end_day=_i32(OPEN_END if p.end_date is None else day(p.end_date) for p in rows),
        target_incentive=np.array([p.target_incentive for p in rows], dtype=np.int64),
    )


def _deal_table(rows: Sequence[Deal], ref: _Ref, problems: list[str]) -> DealTable:
    seen: set[str] = set()
    for d in rows:
        if d.id in seen:
            problems.append(f"deal '{d.id}' appears twice")
        seen.add(d.id)
        if d.status not in DEAL_STATUSES:
            problems.append(f"deal '{d.id}': status must be one of {', '.join(DEAL_STATUSES)}")
        if d.status == "cancelled" and d.cancel_date is None:
            problems.append(f"deal '{d.id}': a cancelled deal needs a cancel_date")
    return DealTable(
        ids=np.array([d.id for d in rows], dtype=object),
        owner=_i32(ref(d.owner_id, f"deal '{d.id}' owner") for d in rows),
        amount=np.array([d.amount for d in rows], dtype=np.int64),
        currency=Categories.encode(d.currency for d in rows),
        close_day=_i32(day(d.close_date) for d in rows),
        status=Categories.encode(d.status for d in rows),
        product=Categories.encode(d.product for d in rows),
        cancel_day=_i32(0 if d.cancel_date is None else day(d.cancel_date) for d in rows),
        attributes=_attributes([d.attributes for d in rows]),
    )


def _split_table(
    rows: Sequence[Split], deal_index: Mapping[str, int], ref: _Ref, problems: list[str]
) -> SplitTable:
    totals: dict[str, Decimal] = {}
    for s in rows:
        if s.deal_id not in deal_index:
            problems.append(f"split: deal '{s.deal_id}' is not a deal")
        if s.percent <= 0 or s.percent != s.percent.quantize(Decimal(1).scaleb(-_PERCENT_PLACES)):
            problems.append(
                f"split of deal '{s.deal_id}': percent must be above 0 with at most "
                f"{_PERCENT_PLACES} decimals"
            )
        totals[s.deal_id] = totals.get(s.deal_id, Decimal(0)) + s.percent
    for deal_id, total in totals.items():
        if total != 100:
            problems.append(f"splits of deal '{deal_id}' sum to {total}%, not 100%")
    return SplitTable(
        deal=np.array([deal_index.get(s.deal_id, -1) for s in rows], dtype=np.int64),
        participant=_i32(ref(s.participant_id, f"split of deal '{s.deal_id}'") for s in rows),
        share=np.array([int(s.percent.scaleb(_PERCENT_PLACES)) for s in rows], dtype=np.int64),
    )
