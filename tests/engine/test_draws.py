"""The draw's options, period by period and to the cent (amounts in cents).

The plan pays 10% of bookings, so a deal of 10,000.00 earns 1,000.00. The worked examples
are those of docs/plans.md, "Draw".
"""

from __future__ import annotations

from decimal import Decimal

from incentives.engine.evaluate import evaluate
from incentives.engine.explain import explain
from incentives.engine.records import Deal, Participant
from incentives.engine.results import Evaluation
from incentives.engine.tables import Inputs
from tests.engine.builders import d, simple_plan

PLAN = """
measures:
  - {key: bookings, name: Bookings, source: deals, aggregate: sum}
components:
  - {key: c, name: Commission, type: rate, measure: bookings, rate: 10%}
"""
HIRED = Participant("ann", "Ann", d("2026-01-01"))


def deal(deal_id: str, earns: int, close: str, who: str = "ann", **kw: object) -> Deal:
    """A won deal that earns ``earns`` cents at 10%."""
    return Deal(deal_id, who, earns * 10, "USD", d(close), **kw)  # type: ignore[arg-type]


def run(draw: str, deals: list[Deal], people: list[Participant] | None = None) -> Evaluation:
    plan = simple_plan(PLAN + draw)
    return evaluate(plan, Inputs.from_rows(people or [HIRED], deals))


def pay(evaluation: Evaluation, who: str = "ann") -> dict[str, dict[str, int]]:
    """Per period the participant has a result for, the amount of each line."""
    return {
        r.period: {line.component: line.amount for line in r.lines}
        for r in evaluation.results
        if r.participant_id == who
    }


def totals(evaluation: Evaluation, who: str = "ann") -> dict[str, int]:
    return {r.period: r.total for r in evaluation.results if r.participant_id == who}


# Earns 1,000.00 in Q1, 4,000.00 in Q2 and 12,000.00 in Q3.
THREE = [
    deal("D1", 100_000, "2026-02-01"),
    deal("D2", 400_000, "2026-05-01"),
    deal("D3", 1_200_000, "2026-08-01"),
]
DRAW = "draw: {amount: 6000, recoverable: true, for_periods: 3, RECOVERY}\n"


def with_recovery(rule: str) -> str:
    return DRAW.replace("RECOVERY", f"recovery: {rule}")


def test_excess_over_draw_is_the_default_and_recovers_only_pay_above_the_draw() -> None:
    default = run(DRAW.replace(", RECOVERY", ""), THREE)
    assert pay(default) == {
        "2026-Q1": {"c": 100_000, "draw": 500_000},
        "2026-Q2": {"c": 400_000, "draw": 200_000},
        "2026-Q3": {"c": 1_200_000, "draw_recovery": -600_000},
    }
    assert totals(default) == {"2026-Q1": 600_000, "2026-Q2": 600_000, "2026-Q3": 600_000}
    # 1,000.00 is still owed after Q3.
    q3 = default.result("ann", "2026-Q3").lines[1].trace
    assert (q3.draw_balance, q3.recovery) == (Decimal(1000), "excess_over_draw")
    assert pay(run(with_recovery("excess_over_draw"), THREE)) == pay(default)


def test_full_recovery_repays_the_balance_before_any_new_top_up() -> None:
    full = run(with_recovery("full"), THREE)
    assert pay(full) == {
        "2026-Q1": {"c": 100_000, "draw": 500_000},
        # 5,000.00 owed: Q2's 4,000.00 all go to it, and the draw does not top Q2 up.
        "2026-Q2": {"c": 400_000, "draw_recovery": -400_000},
        "2026-Q3": {"c": 1_200_000, "draw_recovery": -100_000},
    }
    assert totals(full) == {"2026-Q1": 600_000, "2026-Q2": 0, "2026-Q3": 1_100_000}
    assert full.result("ann", "2026-Q3").lines[1].trace.draw_balance == Decimal(0)


def test_full_recovery_is_limited_by_max_recovery_per_period() -> None:
    capped = run(with_recovery("full, max_recovery_per_period: 3000"), THREE)
    assert totals(capped) == {"2026-Q1": 600_000, "2026-Q2": 100_000, "2026-Q3": 1_000_000}


def test_under_full_recovery_the_guarantee_resumes_once_the_balance_is_cleared() -> None:
    draw = with_recovery("full").replace("for_periods: 3", "for_periods: 4")
    deals = [*THREE, deal("D4", 200_000, "2026-11-01")]
    # Q3 clears the last 1,000.00; Q4 earns 2,000.00 and is topped up again.
    assert pay(run(draw, deals))["2026-Q4"] == {"c": 200_000, "draw": 400_000}


def test_under_full_recovery_more_earnings_never_pay_less_while_a_balance_is_owed() -> None:
    q2 = {}
    for earns in (200_000, 500_000, 800_000):
        deals = [deal("D1", 100_000, "2026-02-01"), deal("D2", earns, "2026-05-01")]
        q2[earns] = totals(run(with_recovery("full"), deals))["2026-Q2"]
    # 5,000.00 owed: earnings up to it all go to the balance, the rest is paid.
    assert q2 == {200_000: 0, 500_000: 0, 800_000: 300_000}


BOB = Participant("bob", "Bob", d("2026-05-10"))
VETERAN = Participant("ann", "Ann", d("2025-01-01"))
TWO = "draw: {amount: 6000, recoverable: false, for_periods: 2COUNTS}\n"


def test_for_periods_count_from_the_participants_start_by_default() -> None:
    evaluation = run(TWO.replace("COUNTS", ""), [], [VETERAN, BOB])
    # Ann started before the plan: her first two periods were in 2025, so no draw.
    assert totals(evaluation, "ann") == {}
    assert totals(evaluation, "bob") == {"2026-Q2": 600_000, "2026-Q3": 600_000}


def test_for_periods_can_count_from_the_plans_start() -> None:
    evaluation = run(TWO.replace("COUNTS", ", counts_from: plan_start"), [], [VETERAN, BOB])
    assert totals(evaluation, "ann") == {"2026-Q1": 600_000, "2026-Q2": 600_000}
    # Bob, hired in the plan's second period, gets the one that remains.
    assert totals(evaluation, "bob") == {"2026-Q2": 600_000}
    assert evaluation.result("bob", "2026-Q2").lines[0].trace.draw_through == "2026-Q2"


def test_until_covers_the_periods_starting_on_or_before_it() -> None:
    evaluation = run("draw: {amount: 6000, recoverable: false, until: 2026-05-15}\n", [])
    assert totals(evaluation) == {"2026-Q1": 600_000, "2026-Q2": 600_000}
    trace = evaluation.result("ann", "2026-Q1").lines[0].trace
    assert (trace.draw_through, trace.draw_open_ended) == ("2026-Q2", False)
    # Inclusive: a period starting on the day itself is covered.
    on_the_day = run("draw: {amount: 6000, recoverable: false, until: 2026-04-01}\n", [])
    assert totals(on_the_day) == {"2026-Q1": 600_000, "2026-Q2": 600_000}


def test_with_for_periods_and_until_whichever_ends_first_ends_the_draw() -> None:
    both = "draw: {amount: 6000, recoverable: false, for_periods: PERIODS, until: 2026-05-15}\n"
    assert totals(run(both.replace("PERIODS", "1"), [])) == {"2026-Q1": 600_000}
    by_date = run(both.replace("PERIODS", "3"), [])
    assert totals(by_date) == {"2026-Q1": 600_000, "2026-Q2": 600_000}


def test_a_draw_without_an_end_says_so() -> None:
    evaluation = run("draw: {amount: 6000, recoverable: false}\n", [])
    assert set(totals(evaluation)) == {"2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"}
    trace = evaluation.result("ann", "2026-Q4").lines[0].trace
    assert (trace.draw_through, trace.draw_open_ended, trace.recovery) == (None, True, None)
    assert (
        "  Your guaranteed minimum is $6,000.00 with no end date; this tops your pay up to it."
    ) in explain(evaluation.result("ann", "2026-Q4")).splitlines()


def test_the_draw_and_its_recovery_explain_when_the_draw_ends_and_how_it_recovers() -> None:
    evaluation = run(with_recovery("full"), THREE)
    q1 = explain(evaluation.result("ann", "2026-Q1")).splitlines()
    assert (
        "  Your guaranteed minimum is $6,000.00 through 2026-Q3; this tops your pay up to it."
        " Still to be recovered: $5,000.00."
    ) in q1
    q2 = explain(evaluation.result("ann", "2026-Q2")).splitlines()
    assert (
        "  Recovers part of earlier guaranteed pay from your earnings, before any new top-up;"
        " still to recover: $1,000.00."
    ) in q2


def test_the_draw_tops_up_after_a_clawback_which_takes_back_earnings_not_pay() -> None:
    draw = "clawback: {within_days: 90}\ndraw: {amount: 6000, recoverable: false, for_periods: 2}\n"
    deals = [
        deal("D1", 300_000, "2026-02-01"),
        deal("D2", 100_000, "2026-03-01", status="cancelled", cancel_date=d("2026-04-10")),
        deal("D3", 300_000, "2026-05-01"),
    ]
    assert pay(run(draw, deals)) == {
        # Q1 earns 4,000.00, topped up to 6,000.00: without D2 it would have paid the same.
        "2026-Q1": {"c": 400_000, "draw": 200_000},
        # Yet the clawback takes back all D2 earned, 1,000.00, and the draw then tops the
        # 2,000.00 left up to 6,000.00.
        "2026-Q2": {"c": 300_000, "clawback": -100_000, "draw": 400_000},
    }
