"""Worked example: plans/manager-overlay.yaml over plans/examples/data, to the cent.

Two-level rollup as the hierarchy stood on each close date. Ann and Bob report to Maya;
Maya reports to Dan; Cara reported to Dan until 2026-03-31, then to Maya.
Q1 credits (Platform and Analytics count 1.5x, as for the reps; the cancelled D-1003
counts, no clawback here):
  Ann 80,000 + 40,000 Platform x 1.5 = 60,000 + 15,000 + 40% of D-1006's 60,000 = 24,000
      -> 179,000
  Bob 30,000 Analytics x 1.5 = 45,000;  Cara EUR 50,000 x 1.09 = 54,500 + 60% of D-1006
      = 36,000 -> 90,500
  Maya (level 1 over Ann and Bob): 224,000 of 250,000 = 89.6% -> 1% retroactive = 2,240.00
  Dan: level 1 over Cara 90,500 + level 2 over Ann and Bob 224,000 = 314,500 of 500,000
       = 62.9%, above the 50% gate -> 1% = 3,145.00
Q2: Ann 110,000 + Bob 45,000 + Cara (now under Maya) 90,000 Platform x 1.5 = 135,000
  = 290,000
  Maya: 116% -> every unit at the 1.5% tier: 4,350.00 (the cap, 2 x a quarter of her
        60,000 target = 30,000, is far off).
  Dan (all level 2 now): 290,000 of his raised Q2 quota 600,000 = 48.3% < 50% gate -> nothing.
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
    assert q1.measure("team_bookings").value == Decimal(224000)
    assert q1.total == 224000
    assert evaluation.result("mgr-maya", "2026-Q2").total == 435000


def test_split_deal_rolls_up_by_each_reps_share_along_the_dated_hierarchy(
    evaluation: Evaluation,
) -> None:
    q1 = evaluation.result("dir-dan", "2026-Q1")
    assert q1.measure("team_bookings").value == Decimal(314500)
    assert q1.total == 314500
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
    assert q2.measure("team_bookings").value == Decimal(290000)
    attainment = q2.measure("team_bookings").attainment
    assert attainment is not None
    assert round(attainment, 4) == Decimal("0.4833")
    assert q2.total == 0
