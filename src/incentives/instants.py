"""One rendering of a moment in every answer of the API: UTC, ISO 8601, to the second,
with a ``Z`` (``2026-12-07T09:53:16Z``).

Stored timestamps keep their microseconds; answers do not, so that the same moment reads
the same in every endpoint (and in SQL-rendered ones: ``sql_instant``). Fractions of a
second are cut, never rounded, in both, so a moment never moves into the next second.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"
Instant = Annotated[
    str,
    msgspec.Meta(
        pattern=PATTERN,
        description="A moment: UTC, ISO 8601, to the second",
        examples=["2026-12-07T09:53:16Z"],
    ),
]


def instant(moment: dt.datetime) -> str:
    """``moment`` (timezone-aware) as an ``Instant``."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def maybe_instant(moment: dt.datetime | None) -> str | None:
    """``instant(moment)``, or None for None."""
    return None if moment is None else instant(moment)


def sql_instant(column: str, name: str | None = None) -> str:
    """A SELECT expression rendering the timestamptz ``column`` as an ``Instant``, named
    ``name`` (by default the column's own name, without any table prefix)."""
    label = name or column.rsplit(".", 1)[-1]
    return f"{sql_instant_of(column)} AS {label}"


def sql_instant_of(expression: str) -> str:
    """A SQL expression rendering the timestamptz ``expression`` as an ``Instant``."""
    return f"to_char({expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
