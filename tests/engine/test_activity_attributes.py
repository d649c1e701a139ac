"""Activity measures filtered on free attributes, worked to the cent.

Sam's monthly quota is 10 meetings held; meetings are logged with an ``outcome`` and
only those with ``outcome: held`` count. $50 a meeting held once half the quota is
reached, $1,000 at 100%. Calls count when they lasted at least 15 minutes.
  January: meetings of 4 (held), 3 (no_show), 6 (held), 2 (no outcome) and a call
           marked held: 4 + 6 = 10 held = 100%: 10 x 50 = 500.00 + 1,000.00 = 1,500.00.
           Calls of 20, 15 and 14.5 minutes: two long calls.
  February: meetings of 4 (held) and 8 (no_show): 4 held = 40%, below the 50% gate:
           nothing, though all meetings logged would be 120% of the quota.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from incentives.engine.evaluate import evaluate
from incentives.engine.records import Activity, Participant, Quota
from incentives.engine.results import Evaluation
from incentives.engine.tables import Inputs
from tests.engine.builders import d, plan_from_yaml

PLAN = """
kind: commission
key: sdr-outcomes
version: 1
name: SDR paid on meetings held
effective: {from: 2026-01-01, to: 2026-12-31}
payout_currency: USD
period: month
measures:
  - key: meetings_held
    name: Meetings held
    source: activities
    aggregate: sum
    where:
      all:
        - {field: type, equals: meeting}
        - {field: outcome, equals: held}
    quota: true
  - key: long_calls
    name: Calls of 15 minutes or more
    source: activities
    aggregate: count
    where: {all: [{field: type, equals: call}, {field: minutes, at_least: 15}]}
components:
  - {key: meetings, name: Meetings held, type: rate, measure: meetings_held, per_unit: 50,
     gate: 50%}
  - key: meetings-bonus
    name: Meetings bonus
    type: bonus
    measure: meetings_held
    milestones: [{attainment: 100%, amount: 1000}]
"""


def activity(
    activity_id: str, kind: str, day: str, quantity: int = 1, **attributes: str
) -> Activity:
    return Activity(activity_id, "sam", kind, d(day), quantity, attributes)


ACTIVITIES = [
    activity("M1", "meeting", "2026-01-05", 4, outcome="held"),
    activity("M2", "meeting", "2026-01-12", 3, outcome="no_show"),
    activity("M3", "meeting", "2026-01-19", 6, outcome="held"),
    activity("M4", "meeting", "2026-01-26", 2),
    activity("C1", "call", "2026-01-07", outcome="held", minutes="20"),
    activity("C2", "call", "2026-01-08", minutes="15"),
    activity("C3", "call", "2026-01-09", minutes="14.5"),
    activity("M5", "meeting", "2026-02-09", 4, outcome="held"),
    activity("M6", "meeting", "2026-02-16", 8, outcome="no_show"),
]


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    sam = Participant("sam", "Sam", d("2025-06-01"))
    quotas = [Quota("sam", month, "meetings_held", 10) for month in ("2026-01", "2026-02")]
    inputs = Inputs.from_rows([sam], quotas=quotas, activities=ACTIVITIES)
    return evaluate(plan_from_yaml(PLAN), inputs, ["2026-01", "2026-02"])


def test_only_meetings_held_count_and_pay(evaluation: Evaluation) -> None:
    january = evaluation.result("sam", "2026-01")
    assert january.measure("meetings_held").value == 10
    assert january.measure("meetings_held").attainment == Decimal(1)
    assert [(x.component, x.amount) for x in january.lines] == [
        ("meetings", 50_000),
        ("meetings-bonus", 100_000),
    ]
    assert january.total == 150_000


def test_numeric_attribute_in_a_range(evaluation: Evaluation) -> None:
    assert evaluation.result("sam", "2026-01").measure("long_calls").value == 2


def test_meetings_not_held_do_not_open_the_gate(evaluation: Evaluation) -> None:
    february = evaluation.result("sam", "2026-02")
    assert february.measure("meetings_held").attainment == Decimal("0.4")
    assert february.lines == ()
    assert february.total == 0
