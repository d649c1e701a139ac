"""Worked example: plans/account-executive.yaml over plans/examples/data, to the cent.

By hand (USD; Platform and Analytics deals count 1.5x toward bookings):

Ann, 2026-Q1, quota 100,000.00:
  D-1001  80,000 Core (new)                      80,000
  D-1002  40,000 Platform x 1.5                  60,000
  D-1003  15,000 Core (new; cancelled 04-20)     15,000   (counts until cancelled)
  D-1006  60,000 Core (new), 40% split to Ann    24,000
  bookings 179,000 = 179% attainment
  commission: 100,000 x 8% = 8,000; 50,000 x 12% = 6,000; 29,000 x 15% = 4,350 -> 18,350.00
  (cap: 2 x a quarter of 40,000 = 20,000: not reached)
  SPIFF: D-1001 500 + D-1003 500 + 40% of D-1006's 500 = 200 -> 1,200.00
  total 19,550.00
Ann, 2026-Q2: D-1010 110,000 -> 8,000 + 10,000 x 12% = 9,200.00.
  Clawback of D-1003, cancelled 41 days after closing (window 90): Q1 recomputed without
  it: bookings 164,000 -> 8,000 + 6,000 + 14,000 x 15% = 16,100 and SPIFF 700 = 16,800,
  against 19,550 paid: -2,750.00. Total 6,450.00.
Bob, new hire 2026-02-15, quota 90,000 prorated to 45 of 90 days = 45,000:
  Q1: D-1004 30,000 Analytics x 1.5 = 45,000 = exactly 100%: all at 8% = 3,600.00 (the
  12% tier starts at 100% and nothing lies above it); SPIFF 500.00; the 6,000 draw tops
  up 1,900.00. Q2: D-1009 45,000 of 90,000: 3,600.00; draw 2,400.00.
Cara, Q1: D-1005 EUR 50,000 at the 2026-02-01 rate 1.09 = 54,500 + 60% of D-1006 = 36,000
  -> 90,500 -> 7,240.00; SPIFF 60% of 500 = 300.00. Q2: D-1008 90,000 Platform x 1.5 =
  135,000 -> 8,000 + 4,200 = 12,200.00.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from incentives.engine.evaluate import evaluate
from incentives.engine.explain import explain
from incentives.engine.results import Evaluation
from incentives.simulate.csv_data import load_inputs
from tests.engine.builders import EXAMPLE_DATA, example_plan


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    plan = example_plan("account-executive")
    return evaluate(plan, load_inputs(EXAMPLE_DATA, plan))


def lines(evaluation: Evaluation, who: str, period: str) -> dict[str, int]:
    return {line.component: line.amount for line in evaluation.result(who, period).lines}


def test_ann_accelerates_and_earns_spiffs(evaluation: Evaluation) -> None:
    result = evaluation.result("ae-ann", "2026-Q1")
    assert result.measure("bookings").value == Decimal(179000)
    assert result.measure("bookings").attainment == Decimal("1.79")
    assert lines(evaluation, "ae-ann", "2026-Q1") == {
        "commission": 1835000,
        "new-logo-spiff": 120000,
    }
    assert result.total == 1955000
    steps = result.lines[0].trace.steps
    assert [(s.base, s.rate, s.earned) for s in steps] == [
        (Decimal(100000), Decimal("0.08"), Decimal(8000)),
        (Decimal(50000), Decimal("0.12"), Decimal(6000)),
        (Decimal(29000), Decimal("0.15"), Decimal(4350)),
    ]


def test_ann_clawback_lands_in_the_cancellation_quarter(evaluation: Evaluation) -> None:
    assert lines(evaluation, "ae-ann", "2026-Q2") == {"commission": 920000, "clawback": -275000}
    result = evaluation.result("ae-ann", "2026-Q2")
    assert result.total == 645000
    assert result.line("clawback") is not None
    assert result.lines[1].trace.deals == ("D-1003",)


def test_new_hire_prorated_quota_boundary_and_draw(evaluation: Evaluation) -> None:
    q1 = evaluation.result("ae-bob", "2026-Q1")
    bookings = q1.measure("bookings")
    assert (bookings.quota, bookings.days_active, bookings.days_in_period) == (
        Decimal(45000),
        45,
        90,
    )
    assert bookings.attainment == 1
    assert lines(evaluation, "ae-bob", "2026-Q1") == {
        "commission": 360000,
        "new-logo-spiff": 50000,
        "draw": 190000,
    }
    assert lines(evaluation, "ae-bob", "2026-Q2") == {"commission": 360000, "draw": 240000}
    assert evaluation.result("ae-bob", "2026-Q2").lines[1].trace.draw_balance == Decimal(4300)


def test_split_and_currency_conversion(evaluation: Evaluation) -> None:
    assert lines(evaluation, "ae-cara", "2026-Q1") == {
        "commission": 724000,
        "new-logo-spiff": 30000,
    }
    credits = {c.deal_id: c for c in evaluation.credits("ae-cara", "2026-Q1")}
    assert credits["D-1005"].fx_rate == Decimal("1.0900")
    assert credits["D-1005"].amount == Decimal("54500.00")
    assert (credits["D-1006"].source, credits["D-1006"].share) == ("split", Decimal("0.6"))
    assert lines(evaluation, "ae-cara", "2026-Q2") == {"commission": 1220000}


def test_explanation_in_plain_words(evaluation: Evaluation) -> None:
    result = evaluation.result("ae-ann", "2026-Q1")
    text = explain(result, evaluation.credits("ae-ann", "2026-Q1"))
    assert (
        "You are credited $179,000.00 of Bookings (from $159,000.00 of deals closed, split"
        " deals at your share) against a quota of $100,000.00 (179.0% attainment)."
    ) in text
    assert "The first $100,000.00 (up to 100% of quota) earned 8%: $8,000.00." in text
    assert "The next $50,000.00 (100% to 150% of quota) earned 12%: $6,000.00." in text
    assert (
        "The next $29,000.00 (150% of quota and above, where you reached 179.0%) earned 15%:"
        " $4,350.00."
    ) in text
    assert "$40,000.00 of it counts 1.5 times, as $60,000.00." in text
    assert "D-1006 closed 2026-03-30: $24,000.00 (40% split)" in text
    assert (
        "3 qualifying deals (2 in full, 1 at a 40% share: 2.4 deals' worth) at $500.00 each:"
        " $1,200.00."
    ) in text
    assert "Total for 2026-Q1: $19,550.00" in text


def test_same_inputs_same_output() -> None:
    plan = example_plan("account-executive")
    first = evaluate(plan, load_inputs(EXAMPLE_DATA, plan))
    second = evaluate(plan, load_inputs(EXAMPLE_DATA, plan))
    assert first.results == second.results
