"""Crediting: who gets credit for each won deal, as one credit row per (deal, person).

Direct credit goes to the owner, or to the split participants when the deal has splits.
Rollup (overlay) credit goes to the managers above each directly credited person, as the
hierarchy stood on the deal's close date, up to ``rollup_levels`` levels; a manager gets
the same share of the deal as the person below. A credit only counts while the person
credited is employed (start_date..end_date) on the close date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from incentives.engine.plan import Crediting
from incentives.engine.tables import (
    SHARE_SCALE,
    AssignmentTable,
    BoolArray,
    DealTable,
    Int32Array,
    IntArray,
    ParticipantTable,
    SplitTable,
)

SOURCE_OWNER, SOURCE_SPLIT, SOURCE_ROLLUP = 0, 1, 2
SOURCE_NAMES = ("owner", "split", "rollup")


@dataclass(frozen=True, eq=False)
class Credits:
    """Credit rows. ``share_code`` indexes ``shares`` (millionths of the deal); ``via`` is the
    directly credited person a rollup row comes from (-1 for direct rows)."""

    deal: IntArray
    participant: Int32Array
    share_code: Int32Array
    shares: tuple[int, ...]
    source: npt.NDArray[np.int8]
    level: npt.NDArray[np.int8]
    via: Int32Array

    def __len__(self) -> int:
        return len(self.deal)

    def take(self, rows: IntArray | BoolArray) -> Credits:
        """The subset of rows selected by an index or mask."""
        if rows.dtype == np.bool_ and rows.all():
            return self  # nothing to drop: spare copying every column
        return Credits(
            self.deal[rows],
            self.participant[rows],
            self.share_code[rows],
            self.shares,
            self.source[rows],
            self.level[rows],
            self.via[rows],
        )


def credit_deals(
    eligible: BoolArray,
    deals: DealTable,
    splits: SplitTable,
    assignments: AssignmentTable,
    participants: ParticipantTable,
    crediting: Crediting,
) -> Credits:
    """Credit rows for the ``eligible`` deals under a plan's crediting rules."""
    has_split = np.zeros(len(deals), dtype=np.bool_)
    if crediting.splits:
        has_split[splits.deal] = True
    owner_deals = np.flatnonzero(eligible & ~has_split)
    split_rows = (
        np.flatnonzero(eligible[splits.deal]) if crediting.splits else np.zeros(0, np.int64)
    )
    split_shares, split_codes = np.unique(splits.share[split_rows], return_inverse=True)
    shares = (SHARE_SCALE, *(int(s) for s in split_shares))
    direct_deal = np.concatenate([owner_deals, splits.deal[split_rows]])
    direct_person = np.concatenate([deals.owner[owner_deals], splits.participant[split_rows]])
    direct = Credits(
        deal=direct_deal,
        participant=direct_person.astype(np.int32),
        share_code=np.concatenate(
            [np.zeros(len(owner_deals), np.int32), (split_codes + 1).astype(np.int32)]
        ),
        shares=shares,
        source=np.concatenate(
            [
                np.full(len(owner_deals), SOURCE_OWNER, np.int8),
                np.full(len(split_rows), SOURCE_SPLIT, np.int8),
            ]
        ),
        level=np.zeros(len(direct_deal), np.int8),
        via=np.full(len(direct_deal), -1, np.int32),
    )
    # Only credit that counts rolls up: a deal closed before its rep started credits nobody.
    direct = direct.take(_employed(direct, deals, participants))
    parts = [direct] if crediting.direct else []
    below, origin = direct, direct.participant
    day = deals.close_day[direct.deal]
    for level in range(1, crediting.rollup_levels + 1):
        manager = managers_on(assignments, below.participant, day)
        found = (manager >= 0) & (manager != below.participant)
        below = Credits(
            deal=below.deal[found],
            participant=manager[found],
            share_code=below.share_code[found],
            shares=shares,
            source=np.full(int(found.sum()), SOURCE_ROLLUP, np.int8),
            level=np.full(int(found.sum()), level, np.int8),
            via=origin[found],
        )
        origin, day = origin[found], day[found]
        parts.append(below)
    credits = _concat(parts, shares)
    return credits.take(_employed(credits, deals, participants))


def _employed(credits: Credits, deals: DealTable, participants: ParticipantTable) -> BoolArray:
    close = deals.close_day[credits.deal]
    person = credits.participant
    return (participants.start_day[person] <= close) & (close <= participants.end_day[person])


def managers_on(assignments: AssignmentTable, person: Int32Array, day: Int32Array) -> Int32Array:
    """Each person's manager on the given day (-1 when none), set-wise."""
    if len(np.unique(assignments.participant)) == len(assignments.participant):
        return _single_managers_on(assignments, person, day)
    order = np.lexsort((assignments.valid_from, assignments.participant))
    keys = (assignments.participant[order].astype(np.int64) << 32) | assignments.valid_from[order]
    query = (person.astype(np.int64) << 32) | day.astype(np.int64)
    found = np.searchsorted(keys, query, side="right") - 1
    safe = np.clip(found, 0, max(len(order) - 1, 0))
    if len(order) == 0:
        return np.full(len(person), -1, np.int32)
    rows = order[safe]
    valid = (
        (found >= 0)
        & (assignments.participant[rows] == person)
        & (assignments.valid_to[rows] >= day)
    )
    return np.where(valid, assignments.manager[rows], -1).astype(np.int32)


def _single_managers_on(
    assignments: AssignmentTable, person: Int32Array, day: Int32Array
) -> Int32Array:
    """Fast path when nobody changed manager: one direct lookup per row, no search."""
    size = int(max(assignments.participant.max(initial=-1), person.max(initial=-1))) + 1
    manager = np.full(size, -1, np.int32)
    first = np.zeros(size, np.int32)
    last = np.zeros(size, np.int32)
    manager[assignments.participant] = assignments.manager
    first[assignments.participant] = assignments.valid_from
    last[assignments.participant] = assignments.valid_to
    valid = (first[person] <= day) & (day <= last[person])
    return np.where(valid, manager[person], -1).astype(np.int32)


def _concat(parts: list[Credits], shares: tuple[int, ...]) -> Credits:
    if not parts:
        empty = np.zeros(0, np.int64)
        return Credits(
            empty,
            empty.astype(np.int32),
            empty.astype(np.int32),
            shares,
            empty.astype(np.int8),
            empty.astype(np.int8),
            empty.astype(np.int32),
        )
    return Credits(
        np.concatenate([p.deal for p in parts]),
        np.concatenate([p.participant for p in parts]),
        np.concatenate([p.share_code for p in parts]),
        shares,
        np.concatenate([p.source for p in parts]),
        np.concatenate([p.level for p in parts]),
        np.concatenate([p.via for p in parts]),
    )
