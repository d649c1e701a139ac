"""Plan conditions evaluated set-wise: a condition over a table gives a boolean row mask.

Text columns are tested once per distinct label, then broadcast through the codes, so a
condition costs one array lookup whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Literal

import numpy as np

from incentives.engine.plan import Condition
from incentives.engine.tables import BoolArray, Categories, Int32Array, IntArray

FieldKind = Literal["text", "number", "date", "any"]

DEAL_FIELDS: dict[str, FieldKind] = {
    "id": "text",
    "owner_id": "text",
    "currency": "text",
    "status": "text",
    "product": "text",
    "amount": "number",
    "close_date": "date",
    "cancel_date": "date",
}
ACTIVITY_FIELDS: dict[str, FieldKind] = {
    "id": "text",
    "participant_id": "text",
    "type": "text",
    "quantity": "number",
    "occurred_on": "date",
}


# Who may take part in a contest is filtered on these; participants have no free attributes.
PARTICIPANT_FIELDS: dict[str, FieldKind] = {
    "id": "text",
    "name": "text",
    "email": "text",
    "currency": "text",
    "start_date": "date",
    "end_date": "date",
}


BUILT_IN_FIELDS: dict[str, dict[str, FieldKind]] = {
    "deals": DEAL_FIELDS,
    "activities": ACTIVITY_FIELDS,
    "participants": PARTICIPANT_FIELDS,
}


def field_kind(source: str, name: str) -> FieldKind:
    """The kind of a field of ``source`` (deals, activities or participants); any field
    other than the built-in ones is a free attribute (text, compared as a number in ranges)."""
    return BUILT_IN_FIELDS[source].get(name, "any")


def is_attribute(source: str, name: str) -> bool:
    """Whether a field of ``source`` (deals or activities) is a free attribute."""
    return name not in BUILT_IN_FIELDS[source]


def parse_value(kind: str, text: str) -> Decimal | dt.date | str:
    """A condition value read as its field's kind; raises ValueError if it does not fit."""
    if kind == "date":
        return dt.date.fromisoformat(text.strip())
    if kind == "number":
        try:
            number = Decimal(text.strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {text!r}") from None
        if not number.is_finite():
            raise ValueError(f"not a number: {text!r}")
        return number
    return text


@dataclass(frozen=True, eq=False)
class NumberColumn:
    """Integers standing for ``value / 10**places`` (minor units, quantities)."""

    values: IntArray
    places: int


@dataclass(frozen=True, eq=False)
class DateColumn:
    """Day numbers (``date.toordinal()``)."""

    days: Int32Array


Column = Categories | NumberColumn | DateColumn
ColumnSource = Callable[[str], Column]


def condition_mask(condition: Condition, column: ColumnSource, rows: int) -> BoolArray:
    """Rows of a table (``column`` gives its columns by field name) matching a condition."""
    if condition.all is not None:
        result = np.ones(rows, dtype=np.bool_)
        for child in condition.all:
            result &= condition_mask(child, column, rows)
        return result
    if condition.any is not None:
        result = np.zeros(rows, dtype=np.bool_)
        for child in condition.any:
            result |= condition_mask(child, column, rows)
        return result
    if condition.not_ is not None:
        return ~condition_mask(condition.not_, column, rows)
    assert condition.field is not None  # guaranteed by plan validation
    data = column(condition.field)
    if condition.equals is not None or condition.in_ is not None:
        wanted = [condition.equals] if condition.equals is not None else list(condition.in_ or [])
        return _one_of(data, [w for w in wanted if w is not None])
    return _in_range(data, condition.at_least, condition.below)


def _scaled(text: str, places: int) -> Decimal:
    return Decimal(text.strip()).scaleb(places)


def _one_of(data: Column, wanted: list[str]) -> BoolArray:
    if isinstance(data, Categories):
        accepted = set(wanted)
        return data.where([label in accepted for label in data.labels])
    if isinstance(data, DateColumn):
        days = [dt.date.fromisoformat(w.strip()).toordinal() for w in wanted]
        return np.isin(data.days, np.array(days, dtype=np.int32))
    exact = [_scaled(w, data.places) for w in wanted]
    whole = [int(v) for v in exact if v == v.to_integral_value()]
    return np.isin(data.values, np.array(whole, dtype=np.int64))


def _in_range(data: Column, at_least: str | None, below: str | None) -> BoolArray:
    if isinstance(data, Categories):
        low = None if at_least is None else Decimal(at_least.strip())
        high = None if below is None else Decimal(below.strip())
        return data.where([_label_in_range(label, low, high) for label in data.labels])
    if isinstance(data, DateColumn):
        values: Int32Array | IntArray = data.days
        low_int = None if at_least is None else dt.date.fromisoformat(at_least.strip()).toordinal()
        high_int = None if below is None else dt.date.fromisoformat(below.strip()).toordinal()
    else:
        values = data.values
        # An integer x is >= t exactly when x >= ceil(t); likewise x < t when x < ceil(t).
        low_int = None if at_least is None else _ceil(at_least, data.places)
        high_int = None if below is None else _ceil(below, data.places)
    result = np.ones(values.shape, dtype=np.bool_)
    if low_int is not None:
        result &= values >= low_int
    if high_int is not None:
        result &= values < high_int
    return result


def _ceil(text: str, places: int) -> int:
    return int(_scaled(text, places).to_integral_value(rounding=ROUND_CEILING))


def _label_in_range(label: str, low: Decimal | None, high: Decimal | None) -> bool:
    try:
        value = Decimal(label.strip())
    except InvalidOperation:
        return False
    if not value.is_finite():
        return False
    return (low is None or value >= low) and (high is None or value < high)
