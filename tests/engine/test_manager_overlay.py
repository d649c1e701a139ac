"""Worked example: plans/manager-overlay.yaml over plans/examples/data, to the cent.

Two-level rollup as the hierarchy stood on each close date. Ann and Bob report to Maya;
Maya reports to Dan; Cara reported to Dan until 2026-03-31, then to Maya.
Q1 credits (no multipliers in this plan; the cancelled D-1003 counts, no clawback here):
  Ann 80,000 + 40,000 + 15,000 + 40% of D-1006's 60,000 = 24,000 -> 159,000
  Bob 30,000;  Cara EUR 50,000 x 1.09 = 54,500 + 60% of D-1006 = 36,000 -> 90,500
  Maya (level 1 over Ann and Bob): 189,000 of 250,000 = 75.6% -> 1% retroactive = 1,890.00
  Dan: level 1 over Cara 90,500 + level 2 over Ann and Bob 189,000 = 279,500 of 500,000
       = 55.9%, above the 50% gate -> 1% = 2,795.00
Q2: Ann 110,000 + Bob 45,000 + Cara (now under Maya) 90,000 = 245,000
  Maya: 98% -> 2,450.00.  Dan (all level 2 now): 245,000 = 49% < 50% gate -> nothing.
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
    plan = example_plan("manager-overlay")
    return evaluate(plan, load_inputs(EXAMPLE_DATA, plan))


def test_managers_only_are_paid(evaluation: Evaluation) -> None:
    assert {r.participant_id for r in evaluation.results} == {"mgr-maya", "dir-dan"}


def test_first_level_rollup(evaluation: Evaluation) -> None:
    q1 = evaluation.result("mgr-maya", "2026-Q1")
    assert q1.measure("team_bookings").value == Decimal(189000)
    assert q1.total == 189000
    assert evaluation.result("mgr-maya", "2026-Q2").total == 245000


def test_split_deal_rolls_up_by_each_reps_share_along_the_dated_hierarchy(
    evaluation: Evaluation,
) -> None:
    q1 = evaluation.result("dir-dan", "2026-Q1")
    assert q1.measure("team_bookings").value == Decimal(279500)
    assert q1.total == 279500
    split = sorted(
        (c.via, c.share, c.amount)
        for c in evaluation.credits("dir-dan", "2026-Q1")
        if c.deal_id == "D-1006"
    )
    assert split == [
        ("ae-ann", Decimal("0.4"), Decimal(24000)),
        ("ae-cara", Decimal("0.6"), Decimal(36000)),
    ]


def test_gate_below_half_of_team_quota(evaluation: Evaluation) -> None:
    q2 = evaluation.result("dir-dan", "2026-Q2")
    assert q2.measure("team_bookings").attainment == Decimal("0.49")
    assert q2.total == 0
