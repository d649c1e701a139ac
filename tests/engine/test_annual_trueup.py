"""Worked example: plans/annual-quarterly-trueup.yaml over plans/examples/data, to the cent.

Annual quota 400,000; tiers on year-to-date attainment: 5% to 50%, 8% to 100%, 12% above.
Ann: Q1 YTD 80,000 + 40,000 + 15,000 + 24,000 (40% of D-1006) = 159,000 (39.75%)
       -> 159,000 x 5% = 7,950.00
     Q2: D-1003 was cancelled 2026-04-20, within 180 days: it leaves the YTD credit.
       YTD 159,000 - 15,000 + 110,000 = 254,000 (63.5%)
       -> 200,000 x 5% = 10,000 + 54,000 x 8% = 4,320 -> 14,320 YTD, minus 7,950 paid
       = 6,370.00
Cara: Q1 YTD 90,500 -> 4,525.00; Q2 YTD 180,500 -> 9,025 - 4,525 = 4,500.00.
Bob has no annual quota: his attainment tiers pay nothing, with a note saying why.
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
    plan = example_plan("annual-quarterly-trueup")
    return evaluate(plan, load_inputs(EXAMPLE_DATA, plan))


def test_first_quarter_pays_on_annual_tiers(evaluation: Evaluation) -> None:
    q1 = evaluation.result("ae-ann", "2026-Q1")
    assert q1.measure("bookings").attainment == Decimal("0.3975")
    assert q1.total == 795000


def test_second_quarter_trues_up_and_absorbs_the_cancellation(evaluation: Evaluation) -> None:
    q2 = evaluation.result("ae-ann", "2026-Q2")
    assert q2.measure("bookings").value == Decimal(254000)
    line = q2.lines[0]
    assert (line.amount, line.trace.year_to_date, line.trace.previously_paid) == (
        637000,
        Decimal(14320),
        Decimal(7950),
    )
    assert any("D-1003" in note for note in q2.notes)


def test_cara_true_up(evaluation: Evaluation) -> None:
    assert evaluation.result("ae-cara", "2026-Q1").total == 452500
    assert evaluation.result("ae-cara", "2026-Q2").total == 450000


def test_missing_quota_is_noted(evaluation: Evaluation) -> None:
    q1 = evaluation.result("ae-bob", "2026-Q1")
    assert q1.total == 0
    assert q1.notes == ("No quota for Bookings in 2026.",)
