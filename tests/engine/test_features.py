"""One feature at a time, with numbers small enough to check by hand (amounts in cents)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from incentives.engine.evaluate import evaluate
from incentives.engine.records import Assignment, Deal, FxRate, Participant, Quota, Split
from incentives.engine.tables import InputError, Inputs
from tests.engine.builders import ANN, BOOKINGS, FLAT, d, deal, simple_plan

QUOTA = Quota("ann", "2026-Q1", "bookings", 10_000_000)  # 100,000.00


def total(body: str, deals: list[Deal], period: str = "2026-Q1", **rows: object) -> int:
    plan = simple_plan(BOOKINGS + body)
    people = rows.pop("participants", [ANN])
    quotas = rows.pop("quotas", [QUOTA])
    inputs = Inputs.from_rows(people, deals, quotas=quotas, **rows)  # type: ignore[arg-type]
    results = [r for r in evaluate(plan, inputs).results if r.period == period]
    return sum(r.total for r in results)


GRADUATED = """
components:
  - key: c
    name: Commission
    type: tiered
    measure: bookings
    on: attainment
    method: graduated
    tiers:
      - {from: 0%, to: 100%, rate: 8%}
      - {from: 100%, rate: 12%}
"""
RETROACTIVE = GRADUATED.replace("graduated", "retroactive")


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (10_000_000, 800_000),  # exactly 100%: all in the first tier, 8,000.00
        (10_000_001, 800_000),  # 100,000.01: 8,000.00 + 0.01 x 12% = 0.0012 -> rounds away
        (10_000_100, 800_012),  # 100,001.00: 8,000.00 + 1.00 x 12% = 8,000.12
        (5_000_000, 400_000),  # 50%: 4,000.00
    ],
)
def test_graduated_tier_boundary(amount: int, expected: int) -> None:
    assert total(GRADUATED, [deal("D1", amount)]) == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (10_000_000, 1_200_000),  # exactly 100% reaches the 12% tier: 12,000.00
        (9_999_999, 800_000),  # 99,999.99 x 8% = 7,999.9992 -> 8,000.00 (half-up)
    ],
)
def test_retroactive_tier_boundary_is_inclusive_from(amount: int, expected: int) -> None:
    assert total(RETROACTIVE, [deal("D1", amount)]) == expected


def test_tiers_on_amount_with_a_decelerator() -> None:
    body = """
components:
  - key: c
    name: Commission
    type: tiered
    measure: bookings
    on: amount
    method: graduated
    tiers:
      - {from: 0, to: 50000, rate: 10%}
      - {from: 50000, to: 80000, rate: 5%}
      - {from: 80000, rate: 2%}
"""
    # 50,000 x 10% = 5,000 + 30,000 x 5% = 1,500 + 10,000 x 2% = 200 -> 6,700.00
    assert total(body, [deal("D1", 9_000_000)]) == 670_000


def test_flat_rate_with_per_deal_rates() -> None:
    body = """
components:
  - key: c
    name: Commission
    type: rate
    measure: bookings
    rate: 10%
    deal_rates:
      - where: {field: deal_type, equals: renewal}
        rate: 4%
"""
    deals = [
        deal("D1", 1_000_000, attributes={"deal_type": "new"}),  # 10,000 x 10% = 1,000
        deal("D2", 2_000_000, attributes={"deal_type": "renewal"}),  # 20,000 x 4% = 800
    ]
    assert total(body, deals) == 180_000


def test_gate_and_component_cap() -> None:
    body = """
components:
  - key: c
    name: Commission
    type: rate
    measure: bookings
    rate: 10%
    gate: 60%
    cap: {amount: 9000}
"""
    assert total(body, [deal("D1", 5_999_999)]) == 0  # 59.99999% < 60%
    assert total(body, [deal("D1", 6_000_000)]) == 600_000  # exactly 60%: 6,000.00
    assert total(body, [deal("D1", 20_000_000)]) == 900_000  # 20,000 capped at 9,000


def test_plan_cap_as_multiple_of_target_incentive() -> None:
    body = """
components:
  - {key: c, name: Commission, type: rate, measure: bookings, rate: 10%}
  - key: s
    name: Spiff
    type: spiff
    per_deal: 1000
cap: {multiple_of_target: 1.5}
"""
    # Target 40,000 a year -> 10,000 a quarter x 1.5 = 15,000. Earned 20,000 + 1,000.
    plan = simple_plan(BOOKINGS + body)
    inputs = Inputs.from_rows([ANN], [deal("D1", 20_000_000)], quotas=[QUOTA])
    result = evaluate(plan, inputs).result("ann", "2026-Q1")
    assert [(x.component, x.amount) for x in result.lines] == [
        ("c", 2_000_000),
        ("s", 100_000),
        ("plan_cap", -600_000),
    ]
    assert result.total == 1_500_000


def test_bonus_once_per_period_and_spiff_per_deal() -> None:
    body = """
components:
  - key: b
    name: Bonus
    type: bonus
    measure: bookings
    milestones: [{attainment: 100%, amount: 2500}]
  - key: s
    name: Spiff
    type: spiff
    per_deal: 250
    where: {field: product, in: [Widget, Gadget]}
"""
    deals = [
        deal("D1", 6_000_000, product="Widget"),
        deal("D2", 6_000_000, product="Gadget"),
        deal("D3", 6_000_000, product="Other"),
    ]
    assert total(body, deals) == 250_000 + 2 * 25_000


def test_conditions_all_any_not_and_ranges() -> None:
    body = """
measures:
  - key: big
    name: Big non-renewals in February
    source: deals
    aggregate: count
    where:
      all:
        - {field: amount, at_least: 10000}
        - {field: close_date, at_least: 2026-02-01, below: 2026-03-01}
        - not: {field: deal_type, equals: renewal}
        - any: [{field: region, equals: EMEA}, {field: seats, at_least: 50}]
components:
  - {key: c, name: Count, type: rate, measure: big, per_unit: 100}
"""
    deals = [
        deal("D1", 1_000_000, attributes={"region": "EMEA"}),  # counts
        deal("D2", 999_999, attributes={"region": "EMEA"}),  # amount below 10,000
        deal("D3", 2_000_000, attributes={"region": "US", "seats": "50"}),  # counts
        deal("D4", 2_000_000, attributes={"region": "US", "seats": "49"}),  # neither
        deal("D5", 2_000_000, attributes={"region": "EMEA", "deal_type": "renewal"}),
        deal("D6", 2_000_000, close_date=d("2026-03-01"), attributes={"region": "EMEA"}),
    ]
    plan = simple_plan(body)
    result = evaluate(plan, Inputs.from_rows([ANN], deals)).result("ann", "2026-Q1")
    assert result.measure("big").value == 2
    assert result.total == 20_000


def test_currency_conversion_uses_latest_rate_on_or_before_close() -> None:
    fx = [
        FxRate("EUR", d("2026-01-01"), Decimal("1.10")),
        FxRate("EUR", d("2026-02-01"), Decimal("1.20")),
        FxRate("EUR", d("2026-02-02"), Decimal("1.30")),
        FxRate("JPY", d("2026-01-01"), Decimal("0.0067")),
    ]
    deals = [
        deal("D1", 1_000_000, currency="EUR"),  # 10,000 EUR x 1.20 = 12,000 USD
        deal("D2", 1_500_000, currency="JPY"),  # 1,500,000 JPY x 0.0067 = 10,050 USD
    ]
    assert total(FLAT, deals, fx_rates=fx) == 220_500


def test_a_deal_without_a_rate_is_left_unpaid_and_reported_and_the_rest_is_paid() -> None:
    plan = simple_plan(BOOKINGS + FLAT)
    deals = [deal("D1", 1_000_000), deal("D2", 500_000, currency="EUR")]
    evaluation = evaluate(plan, Inputs.from_rows([ANN], deals, quotas=[QUOTA]))
    result = evaluation.result("ann", "2026-Q1")
    assert result.total == 100_000  # 10% of D1's 10,000 USD; D2 counts for nothing
    (unpaid,) = evaluation.unpaid
    assert (unpaid.deal_id, unpaid.period, unpaid.participants) == ("D2", "2026-Q1", ("ann",))
    assert unpaid.reason == f"no EUR→USD rate on or before {unpaid.close_date.isoformat()}"
    assert any(unpaid.reason in note for note in result.notes)
    rated = Inputs.from_rows(
        [ANN], deals, quotas=[QUOTA], fx_rates=[FxRate("EUR", d("2026-01-01"), Decimal("1.1"))]
    )
    paid = evaluate(plan, rated)
    assert paid.unpaid == ()
    assert paid.result("ann", "2026-Q1").total == 155_000


def test_proration_for_a_leaver_and_no_credit_after_leaving() -> None:
    leaver = Participant("ann", "Ann", d("2025-01-01"), end_date=d("2026-02-14"))
    plan = simple_plan(BOOKINGS + GRADUATED)
    deals = [
        deal("D1", 4_500_000, close_date=d("2026-02-14")),
        deal("D2", 999, close_date=d("2026-02-15")),
    ]
    result = evaluate(plan, Inputs.from_rows([leaver], deals, quotas=[QUOTA])).result(
        "ann", "2026-Q1"
    )
    bookings = result.measure("bookings")
    # Active 2026-01-01..02-14 = 45 of 90 days: quota 50,000; D2 closed after leaving.
    assert (bookings.quota, bookings.value, bookings.attainment) == (
        Decimal(50000),
        Decimal(45000),
        Decimal("0.9"),
    )
    assert result.total == 360_000


def test_half_up_rounding_per_line() -> None:
    body = """
components:
  - {key: c, name: Commission, type: rate, measure: bookings, rate: 2.5%}
"""
    # 10.10 x 2.5% = 0.2525 dollars = 25.25 cents -> 25; 10.30 x 2.5% = 25.75 -> 26 cents;
    # 0.02 x 2.5% = 0.05 cents -> 0; 0.20 x 2.5% = 0.5 cent -> 1 (half-up).
    assert total(body, [deal("D1", 1_010)]) == 25
    assert total(body, [deal("D1", 1_030)]) == 26
    assert total(body, [deal("D1", 20)]) == 1


def test_rollup_depth_and_dated_hierarchy() -> None:
    people = [
        ANN,
        Participant("max", "Max", d("2020-01-01")),
        Participant("vp", "Vee", d("2020-01-01")),
    ]
    assignments = [
        Assignment("ann", "max", d("2025-01-01"), d("2026-01-31")),  # until the end of January
        Assignment("ann", "vp", d("2026-02-01")),
        Assignment("max", "vp", d("2020-01-01")),
    ]
    header = BOOKINGS.replace("quota: true", "quota: false")
    body = header + FLAT + "crediting: {rollup_levels: LEVELS}\n"
    deals = [
        deal("D1", 100_000, close_date=d("2026-01-31")),
        deal("D2", 200_000, close_date=d("2026-02-01")),
    ]

    def totals(levels: int) -> dict[str, int]:
        plan = simple_plan(body.replace("LEVELS", str(levels)))
        inputs = Inputs.from_rows(people, deals, assignments=assignments)
        return {r.participant_id: r.total for r in evaluate(plan, inputs).results}

    # D1 on 01-31: ann -> max -> vp. D2 on 02-01: ann -> vp directly.
    assert totals(1) == {"ann": 30_000, "max": 10_000, "vp": 20_000}
    assert totals(2) == {"ann": 30_000, "max": 10_000, "vp": 30_000}


def test_splits_must_sum_to_100() -> None:
    with pytest.raises(InputError, match="sum to 90"):
        Inputs.from_rows(
            [ANN],
            [deal("D1", 100)],
            splits=[Split("D1", "ann", Decimal(60)), Split("D1", "ann", Decimal(30))],
        )


CLAWBACK = FLAT + "clawback: {within_days: 30}\n"


def test_cancellation_outside_the_window_is_not_clawed_back() -> None:
    late = deal("D1", 1_000_000, status="cancelled", cancel_date=d("2026-04-01"))  # 59 days
    quotas = [QUOTA, Quota("ann", "2026-Q2", "bookings", 10_000_000)]
    assert total(CLAWBACK, [late], quotas=quotas) == 100_000
    assert total(CLAWBACK, [late], "2026-Q2", quotas=quotas) == 0


def test_clawback_in_a_later_period_reverses_tiered_pay_exactly() -> None:
    body = GRADUATED + "clawback: {within_days: 90}\n"
    deals = [
        deal("D1", 9_000_000),
        deal(
            "D2",
            3_000_000,
            close_date=d("2026-03-20"),
            status="cancelled",
            cancel_date=d("2026-04-10"),
        ),
    ]
    quotas = [QUOTA, Quota("ann", "2026-Q2", "bookings", 10_000_000)]
    # Q1: 120,000 -> 8,000 + 2,400 = 10,400. Without D2: 90,000 x 8% = 7,200. Q2: -3,200.
    assert total(body, deals, quotas=quotas) == 1_040_000
    assert total(body, deals, "2026-Q2", quotas=quotas) == -320_000


def test_non_recoverable_draw_and_capped_recovery() -> None:
    body = FLAT + "draw: {amount: 5000, recoverable: RECOVERABLE, for_periods: 1}\n"
    kept, recovered = body.replace("RECOVERABLE", "false"), body.replace("RECOVERABLE", "true")
    deals = [deal("D1", 1_000_000), deal("D2", 9_000_000, close_date=d("2026-05-01"))]
    quotas = [QUOTA, Quota("ann", "2026-Q2", "bookings", 10_000_000)]
    hire = [Participant("ann", "Ann", d("2026-01-01"))]
    # Q1 earns 1,000, the draw tops up 4,000. Q2 earns 9,000.
    assert total(kept, deals, quotas=quotas, participants=hire) == 500_000
    assert total(kept, deals, "2026-Q2", quotas=quotas, participants=hire) == 900_000
    # Recoverable: Q2 repays the 4,000 (or 2,500 at most a period).
    assert total(recovered, deals, "2026-Q2", quotas=quotas, participants=hire) == 500_000
    capped = recovered.replace("for_periods: 1", "for_periods: 1, max_recovery_per_period: 2500")
    assert total(capped, deals, "2026-Q2", quotas=quotas, participants=hire) == 650_000


def test_a_period_of_a_plan_carrying_nothing_depends_on_its_own_deals_alone() -> None:
    # Why an incremental recompute may read only the quarter of a change, unless the plan
    # has a draw, a year-to-date true-up or a clawback.
    q1, q2 = deal("D-1", 1_000_000), deal("D-2", 12_000_000, close_date=d("2026-05-02"))
    quotas = [QUOTA, Quota("ann", "2026-Q2", "bookings", 10_000_000)]
    assert not simple_plan(BOOKINGS + GRADUATED).carries_over
    both = total(GRADUATED, [q1, q2], "2026-Q2", quotas=quotas)
    assert both == total(GRADUATED, [q2], "2026-Q2", quotas=quotas) == 1_040_000
    draw = GRADUATED + "draw: {amount: 5000, recoverable: true}\n"
    # Q1 earns 800.00 and the draw tops it up by 4,200.00, which Q2 then recovers.
    assert total(draw, [q1, q2], "2026-Q2", quotas=quotas) != total(
        draw, [q2], "2026-Q2", quotas=quotas
    )
    for carrying in (draw, CLAWBACK, GRADUATED + "true_up: year_to_date\n"):
        assert simple_plan(BOOKINGS + carrying).carries_over
