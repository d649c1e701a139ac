"""Problems with ingested items: every bad item and field is named, nothing is applied."""

from __future__ import annotations

import msgspec

from incentives import errors


class ItemProblem(msgspec.Struct, frozen=True):
    """One problem: the item's position in the batch, its key if known, the field, why."""

    item: int
    field: str
    message: str
    key: str | None = None


class BatchRejected(errors.Invalid):
    """The batch was refused as a whole; ``problems`` names each bad item and field."""

    def __init__(self, problems: list[ItemProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.item, p.field))
        super().__init__(
            f"{len(problems)} problem(s) in the batch",
            [errors.FieldError(p.field, p.message, p.item, p.key) for p in self.problems],
        )

    @property
    def summary(self) -> str:
        """That nothing of the batch was applied; the message counts the problems."""
        return "The batch was rejected; nothing was applied"

    @property
    def detail(self) -> str:
        """How many problems; each is in ``fields``."""
        return str(self)
