"""Problems with ingested items: every bad item and field is named, nothing is applied."""

from __future__ import annotations

import msgspec


class ItemProblem(msgspec.Struct, frozen=True):
    """One problem: the item's position in the batch, its key if known, the field, why."""

    item: int
    field: str
    message: str
    key: str | None = None


class BatchRejected(Exception):
    """The batch was refused as a whole; ``problems`` names each bad item and field."""

    def __init__(self, problems: list[ItemProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the batch")
        self.problems = sorted(problems, key=lambda p: (p.item, p.field))
