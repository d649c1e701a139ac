"""Tier arithmetic in exact Decimals, for many points at once.

A tier covers ``lower`` (inclusive) up to ``upper`` (exclusive). Graduated: each slice of
the measure earns its own tier's rate. Retroactive: the whole measure earns the rate of
the highest tier reached, a measure exactly at a boundary having reached the tier above.

Values and boundaries are numpy object arrays of Decimals: every element goes through
the same Decimal operations, in the same order, as a computation of one point would.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from incentives.engine.results import TierStep

ObjArray = npt.NDArray[np.object_]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
ZERO = Decimal(0)


class Band(NamedTuple):
    """A tier with its boundaries in measure units (minor units or counts)."""

    lower: Decimal
    upper: Decimal | None
    rate: Decimal


class Bands(NamedTuple):
    """A tier with boundaries per point (object arrays of Decimals)."""

    lower: ObjArray
    upper: ObjArray | None
    rate: Decimal


class Slice(NamedTuple):
    """A tier's part of each point's value and what it earned; ``crossed`` says which
    points' pay reaches the tier (tiers above the first empty one are not crossed)."""

    lower: ObjArray
    upper: ObjArray | None
    rate: Decimal
    base: ObjArray
    earned: ObjArray
    crossed: BoolArray


def graduated_points(values: ObjArray, tiers: Sequence[Bands]) -> tuple[ObjArray, list[Slice]]:
    """Pay each slice of each value at its tier's rate; a negative value (reversals beyond
    credit) is charged at the first tier's rate."""
    earned: ObjArray = np.full(len(values), ZERO, dtype=object)
    crossed = np.ones(len(values), np.bool_)
    slices: list[Slice] = []
    for index, band in enumerate(tiers):
        top = values if band.upper is None else np.minimum(values, band.upper)
        base = (
            top - band.lower
            if index == 0
            else np.maximum(np.asarray(ZERO, dtype=object), top - band.lower)
        )
        if index > 0:
            crossed = crossed & (base != 0)
        piece = base * band.rate
        earned = np.where(crossed, earned + piece, earned)
        slices.append(Slice(band.lower, band.upper, band.rate, base, piece, crossed))
    return earned, slices


def retroactive_points(values: ObjArray, tiers: Sequence[Bands]) -> tuple[ObjArray, IntArray]:
    """Pay all of each value at the rate of the highest tier whose lower bound it reaches;
    also returns the index of that tier per point."""
    reached = np.zeros(len(values), np.int64)
    for index, band in enumerate(tiers):
        reached[values >= band.lower] = index
    rates: ObjArray = np.array([band.rate for band in tiers], dtype=object)
    return values * rates[reached], reached


def graduated(value: Decimal, bands: Sequence[Band]) -> tuple[Decimal, list[TierStep]]:
    """:func:`graduated_points` for one value, with the tiers it crosses as steps."""

    def one(x: Decimal) -> ObjArray:
        return np.array([x], dtype=object)

    tiers = [Bands(one(b.lower), None if b.upper is None else one(b.upper), b.rate) for b in bands]
    earned, slices = graduated_points(one(value), tiers)
    return earned[0], [
        TierStep(
            s.lower[0], None if s.upper is None else s.upper[0], s.rate, s.base[0], s.earned[0]
        )
        for s in slices
        if s.crossed[0]
    ]
