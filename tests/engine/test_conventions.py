"""The conventions of docs/plans.md ("Conventions"), one worked example each, to the cent.

Each test has the figures of the example in the docs and fails under the other reading.
Amounts are in cents.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pytest

from incentives.engine.evaluate import evaluate
from incentives.engine.records import Assignment, Deal, Participant, Quota, Split
from incentives.engine.results import Evaluation
from incentives.engine.tables import Inputs
from tests.engine.builders import ANN, BASE, BOOKINGS, FLAT, d, deal, simple_plan

MAX = Participant("max", "Max", d("2020-01-01"))
VEE = Participant("vee", "Vee", d("2020-01-01"))
COMMISSION = BOOKINGS + FLAT
CLAWBACK = COMMISSION + "clawback: {within_days: 90}\n"
# Ann reports to Max, who reports to Vee, since before 2026.
LINES = [
    Assignment("ann", "max", d("2025-01-01")),
    Assignment("max", "vee", d("2020-01-01")),
]


def run(
    body: str,
    deals: list[Deal],
    people: Sequence[Participant] = (ANN,),
    header: str = BASE,
    **rows: object,
) -> Evaluation:
    """The plan of ``body`` (under ``header``) evaluated over these rows."""
    inputs = Inputs.from_rows(list(people), deals, **rows)  # type: ignore[arg-type]
    return evaluate(simple_plan(body, header), inputs)


def totals(evaluation: Evaluation, period: str = "2026-Q1") -> dict[str, int]:
    """Who has a result in the period, and what it pays."""
    return {r.participant_id: r.total for r in evaluation.results if r.period == period}


@pytest.mark.parametrize(("cancelled", "q2"), [("2026-04-15", -100_000), ("2026-04-16", None)])
def test_the_last_day_of_the_clawback_window_is_inside(cancelled: str, q2: int | None) -> None:
    # Closed 2026-01-15: 2026-04-15 is day 90 of a 90-day window, 2026-04-16 day 91.
    late = deal(
        "D1", 1_000_000, close_date=d("2026-01-15"), status="cancelled", cancel_date=d(cancelled)
    )
    evaluation = run(CLAWBACK, [late])
    assert totals(evaluation) == {"ann": 100_000}
    assert totals(evaluation, "2026-Q2").get("ann") == q2


@pytest.mark.parametrize(
    ("ann", "paid"),
    [
        (Participant("ann", "Ann", d("2025-01-01"), end_date=d("2026-01-31")), 100_000),
        (Participant("ann", "Ann", d("2026-02-01")), 200_000),
    ],
    ids=["left", "not-yet-started"],
)
def test_a_deal_closed_while_its_owner_was_not_employed_credits_no_manager(
    ann: Participant, paid: int
) -> None:
    # D1 closed before Ann's last day, D2 after her first: only the one she was employed
    # for credits her, and only that one rolls up to Max.
    deals = [
        deal("D1", 1_000_000, close_date=d("2026-01-20")),
        deal("D2", 2_000_000, close_date=d("2026-02-20")),
    ]
    body = COMMISSION + "crediting: {rollup_levels: 1}\n"
    evaluation = run(body, deals, [ann, MAX, VEE], assignments=LINES)
    assert totals(evaluation) == {"ann": paid, "max": paid}


@pytest.mark.parametrize(("levels", "expected"), [(2, {"vee": 200_000}), (1, {})])
def test_rollup_passes_through_a_manager_who_has_left(
    levels: int, expected: dict[str, int]
) -> None:
    # Max left on 2026-01-31, but the reporting lines still run Ann -> Max -> Vee.
    gone = Participant("max", "Max", d("2020-01-01"), end_date=d("2026-01-31"))
    body = COMMISSION + f"crediting: {{rollup_levels: {levels}}}\n"
    evaluation = run(
        body,
        [deal("D1", 2_000_000, close_date=d("2026-02-10"))],
        [ANN, gone, VEE],
        assignments=LINES,
    )
    # Max is never credited; Vee is, at two levels, as the second level above Ann.
    assert totals(evaluation) == {"ann": 200_000, **expected}


@pytest.mark.parametrize("cap", ["{amount: 5000}", "{multiple_of_target: 0.5}"])
def test_caps_are_not_prorated_for_part_of_a_period(cap: str) -> None:
    # Ann starts 2026-03-02: 30 of Q1's 90 days. Target 40,000 a year: 10,000 a quarter.
    hire = Participant("ann", "Ann", d("2026-03-02"), target_incentive=4_000_000)
    body = COMMISSION.replace("rate: 10%}", f"rate: 10%, cap: {cap}}}")
    evaluation = run(body, [deal("D1", 6_000_000, close_date=d("2026-03-10"))], [hire])
    line = evaluation.result("ann", "2026-Q1").lines[0]
    # 60,000 x 10% = 6,000 held to 5,000 (prorated, it would be 1,666.67).
    assert (line.amount, line.trace.cap, line.trace.before_cap) == (
        500_000,
        Decimal(5000),
        Decimal(6000),
    )


def test_split_credit_is_exact_and_only_each_line_is_rounded() -> None:
    body = COMMISSION + "  - {key: s, name: Spiff, type: spiff, per_deal: 500}\n"
    people = [ANN, Participant("bob", "Bob", d("2025-01-01")), VEE]
    shares = [("ann", "33.33"), ("bob", "33.33"), ("vee", "33.34")]
    splits = [Split("D1", who, Decimal(share)) for who, share in shares]
    evaluation = run(body, [deal("D1", 100_001)], people, splits=splits)
    q1 = {r.participant_id: r for r in evaluation.results}
    # 1,000.01 x 33.33% = 333.303333 and x 33.34% = 333.403334: no cent is rounded off.
    assert {who: r.measure("bookings").value for who, r in q1.items()} == {
        "ann": Decimal("333.303333"),
        "bob": Decimal("333.303333"),
        "vee": Decimal("333.403334"),
    }
    # Commission 33.3303333 -> 33.33 and 33.3403334 -> 33.34; the spiff counts 0.3333 of
    # the deal (166.65) and 0.3334 (166.70).
    lines = {who: [(x.component, x.amount) for x in r.lines] for who, r in q1.items()}
    assert lines == {
        "ann": [("c", 3_333), ("s", 16_665)],
        "bob": [("c", 3_333), ("s", 16_665)],
        "vee": [("c", 3_334), ("s", 16_670)],
    }


@pytest.mark.parametrize(
    ("true_up", "quotas", "rows"),
    [
        ("none", ["2026-Q1", "2026-Q2"], [("2026-Q1", 100_000), ("2026-Q2", 0)]),
        ("year_to_date", ["2026"], [("2026-Q1", 100_000)]),
    ],
)
def test_which_periods_have_a_result(
    true_up: str, quotas: list[str], rows: list[tuple[str, int]]
) -> None:
    # One deal in Q1. A plain plan also shows a quarter with a quota of its own (Q2, paying
    # nothing) but not one without (Q3); a year-to-date plan only a quarter with credit or pay.
    stated = [Quota("ann", label, "bookings", 10_000_000) for label in quotas]
    body = COMMISSION + f"true_up: {true_up}\n"
    evaluation = run(body, [deal("D1", 1_000_000)], quotas=stated)
    assert [(r.period, r.total) for r in evaluation.results] == rows


@pytest.mark.parametrize(
    ("start", "end", "days", "quota"),
    [("2026-02-01", "2026-02-28", 28, 28_000), ("2026-03-31", "2026-03-31", 1, 1_000)],
)
def test_days_active_count_the_first_and_the_last_day(
    start: str, end: str, days: int, quota: int
) -> None:
    # A quota of 90,000 for Q1 (90 days): 1,000 a day active.
    person = Participant("ann", "Ann", d(start), end_date=d(end))
    stated = [Quota("ann", "2026-Q1", "bookings", 9_000_000)]
    bookings = (
        run(COMMISSION, [], [person], quotas=stated).result("ann", "2026-Q1").measure("bookings")
    )
    assert (bookings.days_active, bookings.days_in_period) == (days, 90)
    assert bookings.quota == Decimal(quota)


def test_a_plan_starting_mid_period_counts_the_whole_period() -> None:
    header = BASE.replace("from: 2026-01-01", "from: 2026-02-15")
    stated = [Quota("ann", "2026-Q1", "bookings", 10_000_000)]
    evaluation = run(
        COMMISSION,
        [deal("D1", 1_000_000, close_date=d("2026-01-10"))],
        quotas=stated,
        header=header,
    )
    q1 = evaluation.result("ann", "2026-Q1")
    # A deal of 2026-01-10 counts in Q1, against the full quota (not 45 days' worth).
    assert (q1.measure("bookings").quota, q1.total) == (Decimal(100_000), 100_000)


def test_a_deal_rate_pays_on_the_multiplied_credit() -> None:
    body = """
measures:
  - key: bookings
    name: Bookings
    source: deals
    aggregate: sum
    multipliers: [{where: {field: product, equals: Platform}, factor: 1.5}]
components:
  - key: c
    name: Commission
    type: rate
    measure: bookings
    rate: 10%
    deal_rates: [{where: {field: deal_type, equals: renewal}, rate: 4%}]
"""
    renewal = deal("D1", 4_000_000, product="Platform", attributes={"deal_type": "renewal"})
    q1 = run(body, [renewal]).result("ann", "2026-Q1")
    # 40,000 counts as 60,000, paid at the renewal rate: 2,400 (not 1,600, nor 6,000).
    assert q1.measure("bookings").value == Decimal(60_000)
    assert q1.total == 240_000


def test_a_deal_cancelled_in_its_own_period_shows_a_clawback_line() -> None:
    cancelled = deal(
        "D1", 1_000_000, close_date=d("2026-01-15"), status="cancelled", cancel_date=d("2026-02-15")
    )
    q1 = run(CLAWBACK, [cancelled]).result("ann", "2026-Q1")
    assert [(x.component, x.amount) for x in q1.lines] == [("c", 100_000), ("clawback", -100_000)]
    assert q1.total == 0


def test_a_clawback_is_taken_after_the_owner_has_left() -> None:
    leaver = Participant("ann", "Ann", d("2025-01-01"), end_date=d("2026-03-31"))
    cancelled = deal(
        "D1", 1_000_000, close_date=d("2026-03-10"), status="cancelled", cancel_date=d("2026-04-20")
    )
    evaluation = run(CLAWBACK, [cancelled], [leaver])
    assert totals(evaluation) == {"ann": 100_000}
    assert totals(evaluation, "2026-Q2") == {"ann": -100_000}
