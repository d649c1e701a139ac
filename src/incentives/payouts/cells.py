"""Text cells of the CSV files finance opens in spreadsheets (payroll export, statements).

A leading ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) makes a spreadsheet
evaluate a text cell as a formula, so a participant named ``=HYPERLINK(…)`` would run in
finance's spreadsheet: such text is prefixed with an apostrophe, which shows it as text.
Amounts are written as they are (a negative amount is a number, not a formula).
"""

from __future__ import annotations

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: str) -> str:
    """Text as a spreadsheet shows it, never runs it."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value
