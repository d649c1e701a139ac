"""Worked example: plans/sdr.yaml over plans/examples/data, to the cent.

Sam's monthly meetings quota is 20; $50 a meeting once at least half the quota is held;
bonuses of $1,000 at 100% and $500 more at 125% of quota.
  January: 12 + 13 = 25 meetings (125%, exactly on the second milestone, which counts):
           25 x 50 = 1,250.00 + 1,000.00 + 500.00 = 2,750.00. Two calls counted.
  February: 9 meetings = 45%, below the 50% gate: nothing paid.
  March: 20 meetings = exactly 100%: 20 x 50 = 1,000.00 + 1,000.00 = 2,000.00.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from incentives.engine.evaluate import evaluate
from incentives.engine.results import Evaluation
from incentives.simulate.csv_data import load_inputs
from tests.engine.builders import EXAMPLE_DATA, example_plan


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    plan = example_plan("sdr")
    return evaluate(plan, load_inputs(EXAMPLE_DATA, plan))


def test_meetings_pay_and_both_milestones(evaluation: Evaluation) -> None:
    january = evaluation.result("sdr-sam", "2026-01")
    assert january.measure("meetings_held").value == 25
    assert january.measure("calls").value == 2
    assert [(x.component, x.amount) for x in january.lines] == [
        ("meetings", 125000),
        ("meetings-bonus", 150000),
    ]
    assert january.total == 275000


def test_gate_pays_nothing_below_half_the_quota(evaluation: Evaluation) -> None:
    february = evaluation.result("sdr-sam", "2026-02")
    assert february.measure("meetings_held").attainment == Decimal("0.45")
    assert february.lines == ()
    assert february.total == 0


def test_exactly_at_quota_reaches_the_first_milestone(evaluation: Evaluation) -> None:
    march = evaluation.result("sdr-sam", "2026-03")
    assert [(x.component, x.amount) for x in march.lines] == [
        ("meetings", 100000),
        ("meetings-bonus", 100000),
    ]
    assert march.lines[1].trace.milestones == (
        (Decimal("1"), Decimal("1000"), True),
        (Decimal("1.25"), Decimal("500"), False),
    )
