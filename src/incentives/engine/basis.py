"""What a point's pay rests on besides its measures, kept for its trace: the target
incentive a cap is a multiple of, and a SPIFF's qualifying deals by credited share."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from incentives.engine.tables import IntArray

ObjArray = npt.NDArray[np.object_]
Fields = dict[str, Any]


@dataclass(frozen=True, eq=False)
class Target:
    """Per point, the target incentive for its window (``annual`` pro rata to ``months``
    of twelve), in minor units."""

    window: ObjArray
    annual: ObjArray
    months: IntArray

    @classmethod
    def of(cls, annual_minor: IntArray, months: IntArray) -> Target:
        """The targets of annual incentives (minor units) over windows of ``months``."""
        annual = np.array([Decimal(int(t)) for t in annual_minor.tolist()], dtype=object)
        window = np.array(
            [a * m / 12 for a, m in zip(annual.tolist(), months.tolist(), strict=True)],
            dtype=object,
        )
        return cls(window, annual, months)

    def at(self, rows: IntArray) -> Target:
        """The targets of the given points."""
        return Target(self.window[rows], self.annual[rows], self.months[rows])

    def cap_basis(self, multiple: Decimal | None, unit: Decimal) -> Callable[[int], Fields]:
        """Per point, the trace fields saying what a cap is worked out from: a fixed
        amount (``multiple`` None), or the multiple, the annual target in major units and
        the months it is pro rata to."""
        if multiple is None:
            return lambda i: {"cap_basis": "amount"}
        annual, months = self.annual / unit, self.months.tolist()
        return lambda i: {
            "cap_basis": "multiple_of_target",
            "cap_multiple": multiple,
            "cap_target": annual[i],
            "cap_months": months[i],
        }


def spiff_shares(
    weights: Sequence[Decimal], point: IntArray, group: IntArray, count: IntArray
) -> Callable[[int], Fields]:
    """Per point, the ``shares`` trace field of a SPIFF: how many qualifying deals were
    credited at each share (a count measure's weights are its shares), largest first."""
    by_point: dict[int, dict[Decimal, int]] = defaultdict(lambda: defaultdict(int))
    for p, g, n in zip(point.tolist(), group.tolist(), count.tolist(), strict=True):
        if n:
            by_point[p][weights[g]] += n

    def fields(i: int) -> Fields:
        found = by_point.get(i, {})
        return {"shares": tuple(sorted(found.items(), reverse=True))}

    return fields
