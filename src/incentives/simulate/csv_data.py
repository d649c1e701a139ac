"""Reading simulation data from CSV files in the canonical columns.

A missing file means no rows of that kind. A bad row stops the load with the file, line
and column named. Amounts are plain decimals (``1234.50``) in the row's currency: the
deal's own currency for deals, the plan's payout currency for quotas and target incentives.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from incentives.engine.decode import Plan
from incentives.engine.money import MoneyError, is_known_currency, parse_decimal, to_minor
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

T = TypeVar("T")

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
        self.file, self.line, self.values = file, line, values

    def fail(self, column: str, message: str) -> DataError:
        return DataError(f"{self.file}: line {self.line}, column {column}: {message}")

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

    def decimal(self, column: str) -> Decimal:
        try:
            return parse_decimal(self.text(column))
        except MoneyError as exc:
            raise self.fail(column, str(exc)) from None

    def money(self, column: str, currency: str) -> int:
        try:
            return to_minor(self.decimal(column), currency)
        except MoneyError as exc:
            raise self.fail(column, str(exc)) from None

    def integer(self, column: str) -> int:
        value = self.decimal(column)
        if value != value.to_integral_value():
            raise self.fail(column, f"not a whole number: {value}")
        return int(value)

    def attributes(self, columns: tuple[str, ...]) -> dict[str, str]:
        """The row's other columns (free attributes), stripped."""
        return {
            k: (v or "").strip()
            for k, v in self.values.items()
            if k not in columns and k is not None
        }

    def currency(self, column: str) -> str:
        value = self.text(column)
        if not is_known_currency(value):
            raise self.fail(column, f"not an ISO 4217 currency: {value!r}")
        return value


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


def _read(path: Path, required: tuple[str, ...], build: Callable[[_Row], T]) -> list[T]:
    return [build(row) for row in _rows(path, required)]


def load_inputs(directory: Path, plan: Plan) -> Inputs:
    """Load every CSV file of a data directory into engine inputs for ``plan``."""
    if not directory.is_dir():
        raise DataError(f"{directory}: not a directory")
    payout = plan.payout_currency
    money_measures = {m.key for m in plan.measures if m.is_money}
    participants = _read(
        directory / "participants.csv",
        ("id", "name", "start_date"),
        lambda r: Participant(
            id=r.text("id"),
            name=r.text("name"),
            email=r.text("email", required=False),
            currency=r.text("currency", required=False) or payout,
            start_date=r.date("start_date"),
            end_date=r.optional_date("end_date"),
            target_incentive=r.money("target_incentive", payout)
            if r.text("target_incentive", required=False)
            else 0,
        ),
    )
    assignments = _read(
        directory / "assignments.csv",
        ("participant_id", "manager_id", "valid_from"),
        lambda r: Assignment(
            participant_id=r.text("participant_id"),
            manager_id=r.text("manager_id", required=False) or None,
            team=r.text("team", required=False),
            valid_from=r.date("valid_from"),
            valid_to=r.optional_date("valid_to"),
        ),
    )
    quotas = _read(
        directory / "quotas.csv",
        ("participant_id", "period", "measure", "amount"),
        lambda r: Quota(
            participant_id=r.text("participant_id"),
            period=r.text("period"),
            measure=r.text("measure"),
            amount=r.money("amount", payout)
            if r.text("measure") in money_measures
            else r.integer("amount"),
        ),
    )
    deals = _read(directory / "deals.csv", DEAL_COLUMNS[:5], _deal)
    splits = _read(
        directory / "splits.csv",
        ("deal_id", "participant_id", "percent"),
        lambda r: Split(r.text("deal_id"), r.text("participant_id"), r.decimal("percent")),
    )
    activities = _read(
        directory / "activities.csv",
        ACTIVITY_COLUMNS[:4],
        lambda r: Activity(
            id=r.text("id"),
            participant_id=r.text("participant_id"),
            type=r.text("type"),
            occurred_on=r.date("occurred_on"),
            quantity=r.integer("quantity") if r.text("quantity", required=False) else 1,
            attributes=r.attributes(ACTIVITY_COLUMNS),
        ),
    )
    fx_rates = _read(
        directory / "fx_rates.csv",
        ("currency", "date", "rate_to_payout_currency"),
        lambda r: FxRate(
            r.currency("currency"), r.date("date"), r.decimal("rate_to_payout_currency")
        ),
    )
    try:
        return Inputs.from_rows(
            participants,
            deals,
            assignments=assignments,
            quotas=quotas,
            splits=splits,
            activities=activities,
            fx_rates=fx_rates,
        )
    except InputError as exc:
        raise DataError("\n".join(f"{directory}: {p}" for p in exc.problems)) from None


def _deal(r: _Row) -> Deal:
    currency = r.currency("currency")
    status = next(
        (s for s in DEAL_STATUSES if s == (r.text("status", required=False) or "won")), None
    )
    if status is None:
        raise r.fail("status", f"must be one of {', '.join(DEAL_STATUSES)}")
    cancel_date = r.optional_date("cancel_date")
    if status == "cancelled" and cancel_date is None:
        raise r.fail("cancel_date", "a cancelled deal needs its cancel_date")
    return Deal(
        id=r.text("id"),
        owner_id=r.text("owner_id"),
        amount=r.money("amount", currency),
        currency=currency,
        close_date=r.date("close_date"),
        status=status,
        product=r.text("product", required=False),
        cancel_date=cancel_date,
        attributes=r.attributes(DEAL_COLUMNS),
    )
