"""The database's integer ranges, for numbers that arrive as text: a larger one names
nothing, and is answered as not found (or refused) before a query that could not carry it."""

from __future__ import annotations

BIGINT_MAX = 2**63 - 1  # ids
INTEGER_MAX = 2**31 - 1  # line numbers


def as_number(text: str, largest: int = BIGINT_MAX) -> int | None:
    """``text`` as a positive whole number no larger than ``largest``, else None."""
    if not text.isdigit():
        return None
    number = int(text)
    return number if 0 < number <= largest else None
