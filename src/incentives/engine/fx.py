"""Currency conversion of deal amounts into the payout currency, set-wise and exact.

Each deal uses the latest rate on or before its close date. The converted amount is
rounded half-up (away from zero) to the payout currency's minor unit, once per deal. A
deal with no such rate is marked ``missing`` (amount 0) rather than refused: it is left
unpaid and reported, and everyone else's pay goes on; loading the rate pays it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np

from incentives.engine.money import exponent
from incentives.engine.tables import BoolArray, DealTable, IntArray

_INT64_LIMIT = 2**63


@dataclass(frozen=True, eq=False)
class Converted:
    """Deal amounts in payout minor units; ``rate`` indexes ``rates`` (-1: no conversion);
    ``missing``: deals with no rate on or before their close date (amount 0)."""

    amount: IntArray
    rate: IntArray
    rates: tuple[tuple[str, int, Decimal], ...]
    missing: BoolArray


def convert_deals(
    deals: DealTable, payout_currency: str, fx_rates: tuple[tuple[str, int, Decimal], ...]
) -> Converted:
    """Convert every deal amount; a deal without a usable rate is marked ``missing``."""
    amount = deals.amount.copy()
    rate_index = np.full(len(deals), -1, dtype=np.int64)
    missing = np.zeros(len(deals), dtype=np.bool_)
    for code, currency in enumerate(deals.currency.labels):
        if currency == payout_currency:
            continue
        rows = np.flatnonzero(deals.currency.codes == code)
        table = [(i, d, r) for i, (c, d, r) in enumerate(fx_rates) if c == currency]
        days = np.array([d for _, d, _ in table], dtype=np.int64)
        found = np.searchsorted(days, deals.close_day[rows], side="right") - 1
        unrated = rows[found < 0]
        missing[unrated] = True
        amount[unrated] = 0
        shift = exponent(payout_currency) - exponent(currency)
        for choice in np.unique(found[found >= 0]):
            index, _, rate = table[int(choice)]
            chosen = rows[found == choice]
            amount[chosen] = _scale_half_up(amount[chosen], Fraction(rate) * Fraction(10) ** shift)
            rate_index[chosen] = index
    return Converted(amount, rate_index, fx_rates, missing)


def _scale_half_up(amount: IntArray, factor: Fraction) -> IntArray:
    """``round_half_up(amount * factor)`` exactly, in int64 when it cannot overflow."""
    num, den = factor.numerator, factor.denominator
    magnitude = np.abs(amount)
    if magnitude.size == 0:
        return amount
    if (int(magnitude.max()) * num * 2 + den) < _INT64_LIMIT:
        rounded = (2 * magnitude * num + den) // (2 * den)
    else:
        rounded = np.array([(2 * int(m) * num + den) // (2 * den) for m in magnitude], dtype=object)
        rounded = rounded.astype(np.int64)
    return np.where(amount < 0, -rounded, rounded).astype(np.int64)
