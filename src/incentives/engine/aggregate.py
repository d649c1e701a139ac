"""Set-wise sums of credit values per (participant, period, group), in exact int64.

A group stands for one combination of weights (split share, multiplier, deal rate); the
caller multiplies each group's integer sum by its exact weight afterwards, on the small
aggregated data, so no weight ever touches the millions of rows as a float.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from incentives.engine.tables import Int32Array, IntArray

# Above this many (participant, period, group) cells a sort-based grouping replaces the
# dense accumulator, to bound memory.
_DENSE_LIMIT = 50_000_000


@dataclass(frozen=True, eq=False)
class GroupSums:
    """Sums by (participant, period, group) as parallel arrays, sorted by that key; every
    cell that has rows is present, even when its sum is zero."""

    participant: IntArray
    period: IntArray
    group: IntArray
    total: IntArray

    def __len__(self) -> int:
        return len(self.total)


def group_sums(
    participant: Int32Array | IntArray,
    period: IntArray,
    group: IntArray,
    values: IntArray,
    periods: int,
    groups: int,
) -> GroupSums:
    """Sum ``values`` by (participant, period, group)."""
    if len(values) == 0:
        empty = np.zeros(0, np.int64)
        return GroupSums(empty, empty, empty, empty)
    bound = int(np.abs(values).max()) * len(values)
    if bound >= 2**63:
        raise OverflowError("credited amounts too large to sum exactly in 64 bits")
    key = (participant.astype(np.int64) * periods + period) * groups + group
    size = (int(participant.max()) + 1) * periods * groups
    if size <= _DENSE_LIMIT:
        sums = np.zeros(size, dtype=np.int64)
        np.add.at(sums, key, values)
        cells = np.flatnonzero(np.bincount(key, minlength=size))
        totals = sums[cells]
    else:
        cells, inverse = np.unique(key, return_inverse=True)
        totals = np.zeros(len(cells), dtype=np.int64)
        np.add.at(totals, inverse, values)
    rest, g = np.divmod(cells, groups)
    p, k = np.divmod(rest, periods)
    return GroupSums(p, k, g, totals)
