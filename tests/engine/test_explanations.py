"""Explanations word for word: one participant-period of each example plan in full, and
the sentences that say where credit, tiers, caps and rounding come from."""

from __future__ import annotations

from decimal import Decimal

from incentives.engine.credit_trace import credits_behind
from incentives.engine.evaluate import evaluate
from incentives.engine.explain import explain
from incentives.engine.records import Assignment, Deal, Participant, Quota, Split
from incentives.engine.tables import Inputs
from incentives.simulate.csv_data import load_inputs
from tests.engine.builders import EXAMPLE_DATA, d, example_plan, simple_plan


def example(plan_key: str, who: str, period: str) -> str:
    plan = example_plan(plan_key)
    evaluation = evaluate(plan, load_inputs(EXAMPLE_DATA, plan))
    result = evaluation.result(who, period)
    return explain(result, credits_behind(evaluation, plan, who, period))


def test_account_executive() -> None:
    assert example("account-executive", "ae-ann", "2026-Q1") == "\n".join(
        [
            "Ann Alvarez (ae-ann), 2026-Q1",
            # 80,000 + 40,000 + 15,000 + 40% of 60,000 = 159,000 closed; Platform's 40,000
            # counts 1.5 times, so 179,000 is credited.
            "You are credited $179,000.00 of Bookings (from $159,000.00 of deals closed, split"
            " deals at your share) against a quota of $100,000.00 (179.0% attainment).",
            "  $40,000.00 of it counts 1.5 times, as $60,000.00.",
            "Deals credited to you:",
            "  D-1001 closed 2026-01-20: $80,000.00",
            "  D-1002 closed 2026-02-27: $40,000.00",
            "  D-1003 closed 2026-03-10: $15,000.00; cancelled 2026-04-20",
            "  D-1006 closed 2026-03-30: $24,000.00 (40% split)",
            "Bookings commission: $18,350.00",
            "  The first $100,000.00 (up to 100% of quota) earned 8%: $8,000.00.",
            "  The next $50,000.00 (100% to 150% of quota) earned 12%: $6,000.00.",
            "  The next $29,000.00 (150% of quota and above, where you reached 179.0%) earned"
            " 15%: $4,350.00.",
            "New logo SPIFF: $1,200.00",
            "  3 qualifying deals (2 in full, 1 at a 40% share: 2.4 deals' worth) at $500.00"
            " each: $1,200.00.",
            "Total for 2026-Q1: $19,550.00",
        ]
    )


def test_sdr() -> None:
    assert example("sdr", "sdr-sam", "2026-01") == "\n".join(
        [
            "Sam Singh (sdr-sam), 2026-01",
            "You counted 25 of Meetings held against a quota of 20 (125.0% attainment).",
            "You counted 2 of Calls made.",
            "Meetings held: $1,250.00",
            "  Nothing is paid below 50.0% attainment: reached.",
            "  25 at $50.00 each: $1,250.00.",
            "Meetings bonus: $1,500.00",
            "  Bonus of $1,000.00 at 100.0% attainment: reached.",
            "  Bonus of $500.00 at 125.0% attainment: reached.",
            "Total for 2026-01: $2,750.00",
        ]
    )


def test_manager_overlay() -> None:
    assert example("manager-overlay", "dir-dan", "2026-Q1") == "\n".join(
        [
            "Dan Diaz (dir-dan), 2026-Q1",
            # Rolled up from Cara, Ann and Bob: 54,500 + 36,000 + 80,000 + 40,000 + 15,000
            # + 30,000 + 24,000 = 279,500, with 70,000 of Platform and Analytics at 1.5x.
            "Your team's deals credit you $314,500.00 of Team bookings (from $279,500.00 of"
            " deals, rolled up from 3 people) against a quota of $500,000.00 (62.9%"
            " attainment).",
            "  $70,000.00 of it counts 1.5 times, as $105,000.00.",
            "Deals credited to you:",
            "  D-1005 closed 2026-02-10: $54,500.00 (rolled up from ae-cara), converted from"
            " €50,000.00 at 1.0900 (rate of 2026-02-01)",
            "  D-1006 closed 2026-03-30: $36,000.00 (rolled up from ae-cara, 60% share)",
            "  D-1001 closed 2026-01-20: $80,000.00 (rolled up from ae-ann)",
            "  D-1002 closed 2026-02-27: $40,000.00 (rolled up from ae-ann)",
            "  D-1003 closed 2026-03-10: $15,000.00 (rolled up from ae-ann); cancelled 2026-04-20",
            "  D-1004 closed 2026-03-05: $30,000.00 (rolled up from ae-bob)",
            "  D-1006 closed 2026-03-30: $24,000.00 (rolled up from ae-ann, 40% share)",
            "Team overlay: $3,145.00",
            "  Nothing is paid below 50.0% attainment: reached.",
            "  All $314,500.00 is paid at the rate of the highest tier reached (up to 100% of"
            " quota, where you reached 62.9%), 1%: $3,145.00.",
            "Total for 2026-Q1: $3,145.00",
        ]
    )


def test_annual_quarterly_trueup_lists_the_deals_of_the_year_so_far() -> None:
    assert example("annual-quarterly-trueup", "ae-ann", "2026-Q2") == "\n".join(
        [
            "Ann Alvarez (ae-ann), 2026-Q2",
            "You are credited $254,000.00 of Bookings year to date (split deals at your share)"
            " against a quota of $400,000.00 (63.5% attainment).",
            "Deals credited to you:",
            "  D-1001 closed 2026-01-20: $80,000.00",
            "  D-1002 closed 2026-02-27: $40,000.00",
            "  D-1003 closed 2026-03-10: $15,000.00; cancelled 2026-04-20",
            "  D-1006 closed 2026-03-30: $24,000.00 (40% split)",
            "  D-1010 closed 2026-06-02: $110,000.00",
            "Bookings commission: $6,370.00",
            "  The first $200,000.00 (up to 50% of quota) earned 5%: $10,000.00.",
            "  The next $54,000.00 (50% to 100% of quota, where you reached 63.5% year to"
            " date) earned 8%: $4,320.00.",
            # 14,320 exactly: nothing was rounded, so no rounding is stated.
            "  Year to date this comes to $14,320.00; earlier periods of the year paid $7,950.00.",
            "Cancelled within the clawback window, so removed from year-to-date credit: D-1003",
            "Total for 2026-Q2: $6,370.00",
        ]
    )


# -- one sentence at a time -----------------------------------------------------------

ANN = Participant("ann", "Ann", d("2025-01-01"), target_incentive=4_000_000)
MIA = Participant("mia", "Mia", d("2025-01-01"), target_incentive=4_000_000)
BOOKINGS = """
measures:
  - {key: bookings, name: Bookings, source: deals, aggregate: sum, quota: true}
"""


def deal(deal_id: str, amount: int, owner: str = "ann", day: str = "2026-02-01") -> Deal:
    return Deal(deal_id, owner, amount, "USD", d(day))


def explained(
    body: str, deals: list[Deal], period: str = "2026-Q1", who: str = "ann", **rows: object
) -> str:
    plan = simple_plan(body)
    people = rows.pop("participants", [ANN])
    quotas = rows.pop("quotas", [Quota("ann", "2026-Q1", "bookings", 10_000_000)])
    inputs = Inputs.from_rows(people, deals, quotas=quotas, **rows)  # type: ignore[arg-type]
    evaluation = evaluate(plan, inputs)
    return explain(evaluation.result(who, period), credits_behind(evaluation, plan, who, period))


def test_a_fixed_cap_says_so() -> None:
    body = (
        BOOKINGS
        + """
components:
  - {key: c, name: Commission, type: rate, measure: bookings, rate: 10%, cap: {amount: 9000}}
"""
    )
    text = explained(body, [deal("D1", 20_000_000)])
    assert "  Earned $20,000.00, capped at $9,000.00 (a fixed cap)." in text.splitlines()


def test_a_cap_on_the_target_incentive_says_how_much_of_it() -> None:
    # 40,000 a year: 10,000 a quarter x 1.5 = 15,000, against 20,000 + 1,000 earned.
    body = (
        BOOKINGS
        + """
components:
  - {key: c, name: Commission, type: rate, measure: bookings, rate: 10%}
  - {key: s, name: Spiff, type: spiff, per_deal: 1000}
cap: {multiple_of_target: 1.5}
"""
    )
    assert explained(body, [deal("D1", 20_000_000)]).splitlines()[-3:] == [
        "Plan cap: -$6,000.00",
        "  Earned $21,000.00, capped at $15,000.00 (1.5 × your annual target incentive of"
        " $40,000.00, 3/12 of it for the quarter).",
        "Total for 2026-Q1: $15,000.00",
    ]


def test_a_year_to_date_cap_covers_the_months_so_far() -> None:
    # Q2 year to date: 2 x 40,000 x 6/12 = 40,000, against 10% of 500,000 = 50,000.
    body = (
        BOOKINGS
        + """
true_up: year_to_date
components:
  - {key: c, name: Commission, type: rate, measure: bookings, rate: 10%,
     cap: {multiple_of_target: 2}}
"""
    )
    quotas = [Quota("ann", "2026", "bookings", 100_000_000)]
    text = explained(body, [deal("D1", 50_000_000, day="2026-05-01")], "2026-Q2", quotas=quotas)
    assert (
        "  Earned $50,000.00, capped at $40,000.00 (2 × your annual target incentive of"
        " $40,000.00, 6/12 of it for the year to date)."
    ) in text.splitlines()


def test_rounding_is_stated_only_when_it_changed_the_amount() -> None:
    body = (
        BOOKINGS
        + """
components:
  - {key: c, name: Commission, type: rate, measure: bookings, rate: 10%}
"""
    )
    # 10% of 12,345.67 is 1,234.567: rounded half-up to the cent.
    rounded = explained(body, [deal("D1", 1_234_567)])
    assert "  The exact amount, 1234.567, is rounded half-up to $1,234.57." in rounded
    assert "rounded" not in explained(body, [deal("D1", 1_234_560)])


def test_a_manager_with_deals_of_their_own_is_told_what_rolled_up() -> None:
    body = (
        BOOKINGS.replace("quota: true", "quota: false")
        + """
crediting: {direct: true, splits: true, rollup_levels: 1}
components:
  - {key: c, name: Commission, type: rate, measure: bookings, rate: 1%}
"""
    )
    lines = [Assignment("ann", "mia", d("2025-01-01"))]
    deals = [deal("D1", 3_000_000), deal("D2", 1_000_000, owner="mia")]
    text = explained(body, deals, who="mia", participants=[ANN, MIA], assignments=lines, quotas=[])
    assert text.splitlines()[1] == (
        "You are credited $40,000.00 of Bookings ($30,000.00 of it rolled up from 1 person)."
    )


def test_a_count_split_with_a_colleague_is_counted_at_its_share() -> None:
    body = """
measures:
  - {key: won, name: Deals won, source: deals, aggregate: count}
components:
  - {key: c, name: Per deal, type: rate, measure: won, per_unit: 100}
"""
    bea = Participant("bea", "Bea", d("2025-01-01"))
    splits = [Split("D2", "ann", Decimal(50)), Split("D2", "bea", Decimal(50))]
    deals = [deal("D1", 1_000_000), deal("D2", 1_000_000)]
    text = explained(body, deals, participants=[ANN, bea], splits=splits, quotas=[])
    assert text.splitlines()[1] == "You are counted 1.5 of Deals won (split deals at your share)."
