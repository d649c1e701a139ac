"""The database's integer ranges, for numbers that arrive as text: a larger one names
nothing, and is answered as not found (or refused) before a query that could not carry it."""

from __future__ import annotations

from incentives.bounds import BIGINT_MAX, INTEGER_MAX

__all__ = ["BIGINT_MAX", "INTEGER_MAX", "as_number"]


def as_number(text: str, largest: int = BIGINT_MAX) -> int | None:
    """``text`` as a positive whole number no larger than ``largest``, else None."""
    # isdigit alone takes other scripts' digits and superscripts, which int() refuses.
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= largest else None
