"""Measures as the engine aggregates them: the plan's measures plus hidden spiff counts,
and their sums by weight group."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from incentives.engine.aggregate import GroupSums
from incentives.engine.plan import CommissionPlan, Condition, Multiplier, SpiffComponent
from incentives.engine.tables import IntArray

ObjArray = npt.NDArray[np.object_]


@dataclass(frozen=True)
class MeasureSpec:
    """A measure to aggregate; spiffs add hidden per-deal count measures."""

    key: str
    name: str
    source: str
    aggregate: str
    where: Condition | None
    multipliers: Sequence[Multiplier] = ()
    quota: bool = False
    hidden: bool = False

    @property
    def is_money(self) -> bool:
        """Whether the measure sums deal amounts."""
        return self.source == "deals" and self.aggregate == "sum"


@dataclass
class Aggregation:
    """Sums of one measure (or one component's deal-rate classes) by weight group: a group's
    credit is its integer sum times its weight (split share times multiplier)."""

    weights: tuple[Decimal, ...]
    cells: GroupSums
    # Per group, the deal rate that applies (components with deal rates only).
    rates: tuple[Decimal, ...] = ()
    # Reversals (clawbacks) by (participant, cancel period, close period x groups + group).
    reversals: GroupSums | None = None

    def __post_init__(self) -> None:
        # Weights are exact decimals: as integers over a power of ten, a value is one
        # integer sum and one exact shift instead of a Decimal product per group.
        self.places = max((-w.as_tuple().exponent for w in self.weights), default=0)  # type: ignore[operator]
        self.int_weights = tuple(int(w.scaleb(self.places)) for w in self.weights)

    def numerators(
        self, point: IntArray, group: IntArray, total: IntArray, points: int
    ) -> ObjArray:
        """Per point, the exact credited value times ``10**places`` (Python ints): the sum
        of each of its groups' sums times the group's weight."""
        weights: ObjArray = np.array(self.int_weights, dtype=object)
        out: ObjArray = np.zeros(points, dtype=object)
        np.add.at(out, point, total.astype(object) * weights[group])
        return out

    def values(self, numerators: ObjArray) -> ObjArray:
        """Exact Decimal values of :meth:`numerators`."""
        places = -self.places
        return np.array([Decimal(n).scaleb(places) for n in numerators.tolist()], dtype=object)


def measure_specs(plan: CommissionPlan) -> list[MeasureSpec]:
    """The plan's measures plus one hidden deal count per spiff."""
    specs = [
        MeasureSpec(m.key, m.name, m.source, m.aggregate, m.where, m.multipliers, m.quota)
        for m in plan.measures
    ]
    for component in plan.components:
        if isinstance(component, SpiffComponent):
            key = spiff_measure(component.key)
            specs.append(
                MeasureSpec(key, component.name, "deals", "count", component.where, hidden=True)
            )
    return specs


def spiff_measure(component_key: str) -> str:
    """The key of the hidden deal count behind a spiff component."""
    return f"spiff:{component_key}"
