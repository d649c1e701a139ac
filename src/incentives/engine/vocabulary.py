"""The words plans name: fields their conditions read and the values they test.

Ingest compares incoming deals and activities with this to warn about values that differ
from a plan's only by case or spacing, which no condition (matching exactly) would match.
It lives next to the plan model, not in ``plans/``, so that ingest can use it without
depending on the package that publishes plans (which depends on ingest back).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import msgspec

from incentives.engine.plan import CommissionPlan, Condition, RateComponent, SpiffComponent

# Per field a condition reads: the values it tests with ``equals``/``in``. A field read only
# through ``at_least``/``below`` (a range) is present with no values.
FieldValues = dict[str, frozenset[str]]


class Vocabulary(msgspec.Struct, frozen=True):
    """What the conditions of one or more plans read, per source (deals, activities)."""

    deals: FieldValues = msgspec.field(default_factory=dict)
    activities: FieldValues = msgspec.field(default_factory=dict)

    def source(self, name: str) -> FieldValues:
        """The fields read from ``name`` (``deals`` or ``activities``)."""
        return self.deals if name == "deals" else self.activities

    def __bool__(self) -> bool:
        return bool(self.deals or self.activities)


def _leaves(condition: Condition) -> Iterator[Condition]:
    for child in [*(condition.all or ()), *(condition.any or ())]:
        yield from _leaves(child)
    if condition.not_ is not None:
        yield from _leaves(condition.not_)
    if condition.field is not None:
        yield condition


def _conditions(plan: CommissionPlan) -> Iterator[tuple[str, Condition]]:
    """Every condition of the plan with the source (deals or activities) it filters."""
    for measure in plan.measures:
        if measure.where is not None:
            yield measure.source, measure.where
        for multiplier in measure.multipliers:
            yield measure.source, multiplier.where
    sources = {m.key: m.source for m in plan.measures}
    for component in plan.components:
        if isinstance(component, RateComponent):
            for deal_rate in component.deal_rates:
                yield sources.get(component.measure, "deals"), deal_rate.where
        elif isinstance(component, SpiffComponent) and component.where is not None:
            yield "deals", component.where  # a SPIFF pays per deal


def conditions_vocabulary(conditions: Iterable[tuple[str, Condition]]) -> Vocabulary:
    """The fields and tested values of ``(source, condition)`` pairs, e.g. a contest's."""
    found: dict[str, dict[str, set[str]]] = {"deals": {}, "activities": {}}
    for source, condition in conditions:
        if source not in found:
            continue  # who may take part (participants): never ingested as deals/activities
        for leaf in _leaves(condition):
            assert leaf.field is not None
            values = found[source].setdefault(leaf.field, set())
            if leaf.equals is not None:
                values.add(leaf.equals)
            values.update(leaf.in_ or ())
    return _frozen(found)


def plan_vocabulary(plan: CommissionPlan) -> Vocabulary:
    """The fields and tested values of every condition in ``plan``: measure filters,
    multipliers, per-deal rates and SPIFF conditions."""
    return conditions_vocabulary(_conditions(plan))


def merge(vocabularies: Iterable[Vocabulary]) -> Vocabulary:
    """One vocabulary naming everything the given ones name."""
    found: dict[str, dict[str, set[str]]] = {"deals": {}, "activities": {}}
    for vocabulary in vocabularies:
        for source in found:
            for field, values in vocabulary.source(source).items():
                found[source].setdefault(field, set()).update(values)
    return _frozen(found)


def _frozen(found: dict[str, dict[str, set[str]]]) -> Vocabulary:
    return Vocabulary(
        deals={k: frozenset(v) for k, v in found["deals"].items()},
        activities={k: frozenset(v) for k, v in found["activities"].items()},
    )
