"""Tier arithmetic in exact Decimals.

A tier covers ``lower`` (inclusive) up to ``upper`` (exclusive). Graduated: each slice of
the measure earns its own tier's rate. Retroactive: the whole measure earns the rate of
the highest tier reached, a measure exactly at a boundary having reached the tier above.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from incentives.engine.results import TierStep


class Band(NamedTuple):
    """A tier with its boundaries in measure units (minor units or counts)."""

    lower: Decimal
    upper: Decimal | None
    rate: Decimal


def graduated(value: Decimal, bands: Sequence[Band]) -> tuple[Decimal, list[TierStep]]:
    """Pay each slice of ``value`` at its band's rate; a negative value (reversals beyond
    credit) is charged at the first band's rate."""
    earned = Decimal(0)
    steps: list[TierStep] = []
    for index, band in enumerate(bands):
        top = value if band.upper is None else min(value, band.upper)
        base = top - band.lower if index == 0 else max(Decimal(0), top - band.lower)
        if base == 0 and index > 0:
            break
        piece = base * band.rate
        earned += piece
        steps.append(TierStep(band.lower, band.upper, band.rate, base, piece))
    return earned, steps


def retroactive(value: Decimal, bands: Sequence[Band]) -> tuple[Decimal, list[TierStep]]:
    """Pay all of ``value`` at the rate of the highest band whose lower bound it reaches."""
    reached = bands[0]
    for band in bands:
        if value >= band.lower:
            reached = band
    earned = value * reached.rate
    return earned, [TierStep(reached.lower, reached.upper, reached.rate, value, earned)]
