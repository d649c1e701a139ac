"""Reading simulation data from CSV files in the canonical columns.

A missing file means no rows of that kind. A cell that cannot be read stops the load with
the file, line and column named; rows that read are then checked by ingest's rules
(``simulate.checks``), every refusal listed. Amounts are plain decimals (``1234.50``) in
the row's currency: the deal's own currency for deals, the plan's payout currency for
quotas and target incentives. Quotas of measures the plan does not define are left out.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from incentives.bounds import Amount, BoundedDecimal, Quantity, Rate, Share
from incentives.engine.decode import Plan
from incentives.engine.money import MoneyError, to_minor
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
from incentives.engine.tables import InputError, Inputs
from incentives.ingest.items import (
    ActivityItem,
    AssignmentItem,
    DealItem,
    FxRateItem,
    ParticipantItem,
    QuotaItem,
    SplitItem,
)
from incentives.simulate.checks import At, Data, refusals

T = TypeVar("T")
N = TypeVar("N", bound=BoundedDecimal)

DEAL_COLUMNS = (
    "id",
    "owner_id",
    "amount",
    "currency",
    "close_date",
    "status",
    "product",
    "cancel_date",
)
ACTIVITY_COLUMNS = ("id", "participant_id", "type", "occurred_on", "quantity")


class DataError(ValueError):
    """Simulation data that cannot be used; the message names file, line and column."""


class _Row:
    """One CSV row, with typed getters that name the file, line and column on failure."""

    def __init__(self, file: Path, line: int, values: dict[str, str]) -> None:
        self.at, self.values = At(file, line), values

    def fail(self, column: str, message: str) -> DataError:
        return DataError(self.at.says(column, message))

    def text(self, column: str, *, required: bool = True) -> str:
        value = (self.values.get(column) or "").strip()
        if required and not value:
            raise self.fail(column, "missing value")
        return value

    def date(self, column: str) -> dt.date:
        value = self.text(column)
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise self.fail(column, f"not a date (YYYY-MM-DD): {value!r}") from None

    def optional_date(self, column: str) -> dt.date | None:
        return self.date(column) if self.text(column, required=False) else None

    def number(self, column: str, bound: type[N]) -> N:
        """The cell within ``bound``: the bounds and places ingest reads the field with."""
        text = self.text(column)
        try:
            return bound.read(text)
        except (ValueError, TypeError) as exc:
            raise self.fail(column, f"{text!r} is not {exc}") from None

    def optional_number(self, column: str, bound: type[N], default: str) -> N:
        text = self.text(column, required=False)
        return self.number(column, bound) if text else bound(default)

    def attributes(self, columns: tuple[str, ...]) -> dict[str, str]:
        """The row's other columns (free attributes), stripped."""
        return {
            k: (v or "").strip()
            for k, v in self.values.items()
            if k not in columns and k is not None
        }

    def optional(self, column: str) -> str | None:
        return self.text(column, required=False) or None


def _rows(path: Path, required: tuple[str, ...]) -> Iterator[_Row]:
    if not path.exists():
        return
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"{path}: line 1: missing column(s) {', '.join(missing)}")
        for values in reader:
            yield _Row(path, reader.line_num, values)


def _read(path: Path, required: tuple[str, ...], build: Callable[[_Row], T]) -> list[tuple[At, T]]:
    return [(row.at, build(row)) for row in _rows(path, required)]


def _items(directory: Path, payout: str) -> Data:
    """Every file's rows as ingest items (target incentives by participant row)."""
    targets: dict[At, Decimal] = {}

    def participant(r: _Row) -> ParticipantItem:
        targets[r.at] = r.optional_number("target_incentive", Amount, "0")
        return ParticipantItem(
            external_id=r.text("id"),
            name=r.text("name"),
            email=r.optional("email"),
            currency=r.text("currency", required=False) or payout,
            start_date=r.date("start_date"),
            end_date=r.optional_date("end_date"),
        )

    participants = _read(directory / "participants.csv", ("id", "name", "start_date"), participant)
    assignments = _read(
        directory / "assignments.csv",
        ("participant_id", "manager_id", "valid_from"),
        lambda r: AssignmentItem(
            participant=r.text("participant_id"),
            manager=r.optional("manager_id"),
            team=r.optional("team"),
            valid_from=r.date("valid_from"),
            valid_to=r.optional_date("valid_to"),
        ),
    )
    split_rows = _read(
        directory / "splits.csv",
        ("deal_id", "participant_id", "percent"),
        lambda r: (
            r.text("deal_id"),
            SplitItem(participant=r.text("participant_id"), percent=r.number("percent", Share)),
        ),
    )
    deals = _read(directory / "deals.csv", DEAL_COLUMNS[:5], _deal)
    known = {deal.external_id for _, deal in deals}
    splits: dict[str, list[At]] = {}
    shares: dict[str, list[SplitItem]] = {}
    for at, (deal_id, split) in split_rows:
        if deal_id in known:
            splits.setdefault(deal_id, []).append(at)
            shares.setdefault(deal_id, []).append(split)
    for _, deal in deals:
        deal.splits = shares.get(deal.external_id)
    activities = _read(
        directory / "activities.csv",
        ACTIVITY_COLUMNS[:4],
        lambda r: ActivityItem(
            external_id=r.text("id"),
            participant=r.text("participant_id"),
            type=r.text("type"),
            occurred_at=dt.datetime.combine(r.date("occurred_on"), dt.time(), dt.UTC),
            quantity=r.optional_number("quantity", Quantity, "1"),
            attributes=r.attributes(ACTIVITY_COLUMNS),
        ),
    )
    quotas = _read(
        directory / "quotas.csv",
        ("participant_id", "period", "measure", "amount"),
        lambda r: QuotaItem(
            participant=r.text("participant_id"),
            period=r.text("period"),
            measure=r.text("measure"),
            amount=r.number("amount", Amount),
        ),
    )
    fx_rates = _read(
        directory / "fx_rates.csv",
        ("currency", "date", "rate_to_payout_currency"),
        lambda r: FxRateItem(
            currency=r.text("currency"),
            to_currency=payout,
            date=r.date("date"),
            rate=r.number("rate_to_payout_currency", Rate),
        ),
    )
    return Data(
        payout=payout,
        participants=participants,
        targets=targets,
        assignments=assignments,
        deals=deals,
        splits=splits,
        stray_splits=[(at, d) for at, (d, _) in split_rows if d not in known],
        activities=activities,
        quotas=quotas,
        fx_rates=fx_rates,
    )


def load_inputs(directory: Path, plan: Plan, notes: list[str] | None = None) -> Inputs:
    """Load every CSV file of a data directory into engine inputs for ``plan``.

    Raises DataError naming every row ingest would refuse. Quotas of measures the plan
    does not define are left out, and ``notes`` (if given) told how many and of which.
    """
    if not directory.is_dir():
        raise DataError(f"{directory}: not a directory")
    payout = plan.payout_currency
    data = _items(directory, payout)
    refused = refusals(data)
    if refused:
        raise DataError("\n".join(refused))
    measures = {m.key: m for m in plan.measures}
    quotas: list[Quota] = []
    ignored: dict[str, int] = {}
    for at, item in data.quotas:
        measure = measures.get(item.measure)
        if measure is None:
            ignored[item.measure] = ignored.get(item.measure, 0) + 1
            continue
        amount = (
            _minor(at, "amount", item.amount, payout)
            if measure.is_money
            else _whole(at, "amount", item.amount)
        )
        quotas.append(Quota(item.participant, item.period, item.measure, amount))
    if ignored and notes is not None:
        rows = sum(ignored.values())
        notes.append(
            f"{directory / 'quotas.csv'}: {rows} quota row(s) ignored, for measure(s) plan"
            f" {plan.key} does not define: {', '.join(sorted(ignored))}"
        )
    try:
        return Inputs.from_rows(
            [
                _participant(p, _minor(at, "target_incentive", data.targets[at], payout))
                for at, p in data.participants
            ],
            [_engine_deal(d) for _, d in data.deals],
            assignments=[
                Assignment(a.participant, a.manager, a.valid_from, a.valid_to, a.team or "")
                for _, a in data.assignments
            ],
            quotas=quotas,
            splits=[
                Split(d.external_id, s.participant, s.percent)
                for _, d in data.deals
                for s in d.splits or ()
            ],
            activities=[_activity(at, a) for at, a in data.activities],
            fx_rates=[FxRate(r.currency, r.date, r.rate) for _, r in data.fx_rates],
        )
    except InputError as exc:
        raise DataError("\n".join(f"{directory}: {p}" for p in exc.problems)) from None


def _minor(at: At, column: str, amount: Decimal, currency: str) -> int:
    try:
        return to_minor(amount, currency)
    except MoneyError as exc:
        raise DataError(at.says(column, str(exc))) from None


def _whole(at: At, column: str, value: Decimal) -> int:
    # The engine counts in whole units: activity quantities and count quotas.
    if value != value.to_integral_value():
        raise DataError(at.says(column, f"not a whole number: {value}"))
    return int(value)


def _participant(item: ParticipantItem, target_incentive: int) -> Participant:
    assert item.start_date is not None  # participants.csv requires it
    return Participant(
        id=item.external_id,
        name=item.name,
        email=item.email or "",
        currency=item.currency,
        start_date=item.start_date,
        end_date=item.end_date,
        target_incentive=target_incentive,
    )


def _activity(at: At, item: ActivityItem) -> Activity:
    return Activity(
        id=item.external_id,
        participant_id=item.participant,
        type=item.type,
        occurred_on=item.occurred_at.date(),
        quantity=_whole(at, "quantity", item.quantity),
        attributes=item.attributes,
    )


def _deal(r: _Row) -> DealItem:
    status = next(
        (s for s in DEAL_STATUSES if s == (r.text("status", required=False) or "won")), None
    )
    if status is None:
        raise r.fail("status", f"must be one of {', '.join(DEAL_STATUSES)}")
    return DealItem(
        external_id=r.text("id"),
        owner=r.text("owner_id"),
        amount=r.number("amount", Amount),
        currency=r.text("currency"),
        close_date=r.date("close_date"),
        status=status,
        product=r.text("product", required=False),
        cancel_date=r.optional_date("cancel_date"),
        attributes=r.attributes(DEAL_COLUMNS),
    )


def _engine_deal(item: DealItem) -> Deal:
    return Deal(
        id=item.external_id,
        owner_id=item.owner,
        amount=to_minor(item.amount, item.currency),
        currency=item.currency,
        close_date=item.close_date,
        status=item.status,
        product=item.product or "",
        cancel_date=item.cancel_date,
        attributes=item.attributes,
    )
