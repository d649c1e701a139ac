"""Validation messages about a CSV file's cells, in the words of someone editing it."""

from __future__ import annotations

import re
from typing import Any

_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), template)
    for pattern, template in (
        (r"^Invalid RFC3339 encoded date$", "{value} is not a date (YYYY-MM-DD)"),
        (
            r"^Invalid RFC3339 encoded datetime$",
            "{value} is not a date-time with an offset (2026-03-31T14:00:00+02:00) nor a date",
        ),
        (
            r"^Expected `datetime` with a timezone component$",
            "{value} needs a UTC offset (like +02:00 or Z)",
        ),
        (r"^Invalid decimal string$", "{value} is not a number"),
        (r"^Expected `str` matching regex '\^\[A-Z\]\{3\}\$'$", "{value} is not a currency code"),
        (r"^Invalid enum value (.*)$", "{value} is not one of {choices}"),
        (r"^Expected `str` of length <= (\d+)$", "is longer than {0} characters"),
    )
)

_CHOICES = {"status": "won, lost, open, cancelled"}


def friendly(field: str, message: str, value: Any) -> str:
    """``message`` (msgspec's, about ``field`` holding ``value``) as a CSV user reads it."""
    for pattern, template in _MESSAGES:
        match = pattern.match(message)
        if match:
            shown = repr(value) if isinstance(value, str) else "the value"
            return template.format(*match.groups(), value=shown, choices=_CHOICES.get(field, "?"))
    return message
