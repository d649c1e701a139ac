"""The bounds of everything a request, an ingested file or a plan may carry, as types.

Each number, text and list that comes in is one of these types, so the limit is written
once and the API's schema documents it. A number is read strictly: ASCII digits with an
optional sign and point, within its magnitude and places (``BoundedDecimal.read``), since
an exponent such as ``1E+400000`` is cheap to write but costs seconds of arithmetic on
every use, and ``NaN``, ``Infinity``, spaces or other scripts' digits are no amount at all.
Integers stay within the database column they go to. Nothing here imports the rest of
the package, so the engine's plan model can use it too.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Self

import msgspec

INTEGER_MAX = 2**31 - 1  # a PostgreSQL integer column
BIGINT_MAX = 2**63 - 1  # a bigint column: ids
YEAR_MIN, YEAR_MAX = 1900, 2200


class BoundedDecimal(Decimal):
    """A decimal with at most ``digits`` digits before the point and ``places`` after.

    Subclasses name what the number is; ``read`` is the one way one comes in.
    """

    digits: ClassVar[int] = 12
    places: ClassVar[int] = 4
    what: ClassVar[str] = "a number"

    @classmethod
    def rule(cls) -> str:
        """The bound in words, for refusals and the API's description."""
        return (
            f"{cls.what}: plain digits with an optional sign and decimal point,"
            f" below 10^{cls.digits}, at most {cls.places} decimal places"
        )

    @classmethod
    def pattern(cls) -> str:
        """The bound as a regular expression over the number's text."""
        return rf"^[+-]?[0-9]{{1,{cls.digits}}}(\.[0-9]{{1,{cls.places}}})?$"

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The bound as JSON Schema: a string of the pattern, or a JSON number."""
        return {
            "anyOf": [{"type": "string", "pattern": cls.pattern()}, {"type": "number"}],
            "description": cls.rule().capitalize(),
        }

    @classmethod
    def read(cls, value: object) -> Self:
        """``value`` (text, a JSON number or a Decimal) within the bound, or ValueError."""
        if isinstance(value, bool):
            raise ValueError(cls.rule())
        if isinstance(value, int):
            text = str(value) if abs(value) < 10**cls.digits else ""
        elif isinstance(value, float):
            # A JSON number with a point arrives as a float: its shortest repr is the text
            # it was written as whenever that text fits the bound.
            text = repr(value) if math.isfinite(value) else ""
        elif isinstance(value, Decimal):
            fits = value.is_finite() and value.adjusted() < cls.digits
            text = format(value, "f") if fits else ""
        elif isinstance(value, str):
            text = value
        else:
            raise TypeError(cls.rule())
        if not _plain(text, cls.digits, cls.places):
            raise ValueError(cls.rule())
        return cls(text)


_PLAIN = re.compile(r"[+-]?([0-9]+)(?:\.([0-9]+))?")


def _plain(text: str, digits: int, places: int) -> bool:
    found = _PLAIN.fullmatch(text) if len(text) <= digits + places + 2 else None
    return found is not None and len(found[1]) <= digits and len(found[2] or "") <= places


class Amount(BoundedDecimal):
    """Money in a currency's units (a deal's amount, a quota, a prize, an adjustment)."""

    what = "an amount"


class Quantity(BoundedDecimal):
    """How many of something (an activity's quantity, points, a count quota)."""

    what = "a quantity"


class Rate(BoundedDecimal):
    """An exchange rate: units of one currency per unit of another."""

    digits, places = 12, 12
    what = "an exchange rate"


class Share(BoundedDecimal):
    """A percentage of a deal's credit (a split), 0 to 100."""

    digits = 3
    what = "a percentage"


def is_bounded(type_: Any) -> bool:
    """Whether ``type_`` is a bounded decimal (for decoders' type hooks)."""
    return isinstance(type_, type) and issubclass(type_, BoundedDecimal)


def read_bounded(type_: type[BoundedDecimal], value: object) -> BoundedDecimal:
    """msgspec/Litestar decoder hook: ``value`` read as the bounded decimal ``type_``."""
    return type_.read(value)


def decode_hook(type_: type, value: object) -> object:
    """msgspec ``dec_hook`` for the bounded decimals."""
    if is_bounded(type_):
        return read_bounded(type_, value)
    raise NotImplementedError(f"no decoder for {type_!r}")


def default(text: str) -> Any:
    """A bounded field's default, as a plain Decimal: the schema writes defaults out
    with msgspec, which encodes no Decimal subclass."""
    return Decimal(text)


def encode_hook(value: object) -> object:
    """msgspec ``enc_hook``: a bounded decimal encodes as any Decimal does (its text)."""
    if isinstance(value, BoundedDecimal):
        return str(value)
    raise NotImplementedError(f"cannot encode {type(value)!r}")


def schema_hook(type_: type) -> dict[str, Any]:
    """msgspec ``schema_hook`` for the bounded decimals."""
    if isinstance(type_, type) and issubclass(type_, BoundedDecimal):
        return type_.json_schema()
    raise NotImplementedError(f"no schema for {type_!r}")


ExternalId = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
FileName = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
Label = Annotated[str, msgspec.Meta(max_length=200)]  # a product, an attribute's value
Word = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]  # a measure, a type
Description = Annotated[str, msgspec.Meta(max_length=4000)]
Message = Annotated[str, msgspec.Meta(min_length=1, max_length=4000, pattern=r"\S")]
Attributes = Annotated[dict[Word, Any], msgspec.Meta(max_length=100)]
MAX_KEY = 100  # a plan's, contest's, measure's or component's key
PlanKey = Annotated[str, msgspec.Meta(pattern=f"^[a-z0-9][a-z0-9_-]{{0,{MAX_KEY - 1}}}$")]
Int32 = Annotated[int, msgspec.Meta(ge=-INTEGER_MAX - 1, le=INTEGER_MAX)]
Count = Annotated[int, msgspec.Meta(ge=0, le=INTEGER_MAX)]
Version = Annotated[int, msgspec.Meta(ge=1, le=INTEGER_MAX)]
RowId = Annotated[int, msgspec.Meta(ge=1, le=BIGINT_MAX)]
PeriodName = Annotated[str, msgspec.Meta(min_length=1, max_length=20)]  # 2026-Q1, or an id
FiscalYear = Annotated[int, msgspec.Meta(ge=YEAR_MIN, le=YEAR_MAX)]

MAX_BATCH = 10_000  # items of an ingest batch, ids of a bulk request

# Requests: nesting of a JSON body, and the bodies' sizes in bytes (413 beyond).
MAX_DEPTH = 32
BODY_MAX = 1024 * 1024
BULK_BODY_MAX = 32 * 1024 * 1024  # an ingest batch of 10,000 items, a plan file's text
