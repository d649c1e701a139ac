"""Properties that must hold for any data (hypothesis)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from incentives.engine.evaluate import evaluate
from incentives.engine.records import Deal, Participant, Quota, Split
from incentives.engine.tables import Inputs
from incentives.engine.tiers import Band, graduated
from tests.engine.builders import d, simple_plan

PEOPLE = [
    Participant(p, p.upper(), d("2025-01-01"), target_incentive=2_000_000) for p in ("a", "b", "c")
]
QUOTAS = [Quota(p.id, f"2026-Q{q}", "bookings", 5_000_000) for p in PEOPLE for q in (1, 2, 3, 4)]
PLAN = simple_plan(
    """
measures:
  - key: bookings
    name: Bookings
    source: deals
    aggregate: sum
    quota: true
    multipliers: [{where: {field: product, equals: P}, factor: 1.5}]
components:
  - key: commission
    name: Commission
    type: tiered
    measure: bookings
    on: attainment
    method: graduated
    tiers:
      - {from: 0%, to: 50%, rate: 3%}
      - {from: 50%, to: 100%, rate: 7.5%}
      - {from: 100%, rate: 11%}
    cap: {amount: 9000}
  - key: bonus
    name: Bonus
    type: bonus
    measure: bookings
    milestones: [{attainment: 80%, amount: 500}]
  - {key: spiff, name: Spiff, type: spiff, per_deal: 100, where: {field: product, equals: P}}
cap: {multiple_of_target: 1.25}
clawback: {within_days: 60}
"""
)
DAYS = (d("2026-12-31") - d("2026-01-01")).days

deal_fields = st.tuples(
    st.sampled_from(["a", "b", "c"]),
    st.integers(min_value=1, max_value=6_000_000),
    st.integers(min_value=0, max_value=DAYS),
    st.sampled_from(["P", "Q"]),
)


def make_deals(rows: list[tuple[str, int, int, str]]) -> list[Deal]:
    return [
        Deal(
            f"D{i}", owner, amount, "USD", d("2026-01-01") + dt.timedelta(days=day), product=product
        )
        for i, (owner, amount, day, product) in enumerate(rows)
    ]


def totals(deals: list[Deal], splits: list[Split] | None = None) -> dict[tuple[str, str], int]:
    inputs = Inputs.from_rows(PEOPLE, deals, quotas=QUOTAS, splits=splits or [])
    return {(r.participant_id, r.period): r.total for r in evaluate(PLAN, inputs).results}


@settings(max_examples=40, deadline=None)
@given(st.lists(deal_fields, max_size=12), deal_fields)
def test_adding_a_won_deal_never_lowers_pay(
    rows: list[tuple[str, int, int, str]], extra: tuple[str, int, int, str]
) -> None:
    before = totals(make_deals(rows))
    after = totals(make_deals([*rows, extra]))
    for key, amount in before.items():
        assert after.get(key, 0) >= amount


@settings(max_examples=40, deadline=None)
@given(st.lists(deal_fields, max_size=12))
def test_caps_hold_and_totals_are_the_sum_of_lines(rows: list[tuple[str, int, int, str]]) -> None:
    inputs = Inputs.from_rows(PEOPLE, make_deals(rows), quotas=QUOTAS)
    for result in evaluate(PLAN, inputs).results:
        assert result.total == sum(line.amount for line in result.lines)
        commission = result.line("commission")
        assert commission is None or commission.amount <= 900_000
        # Plan cap: 1.25 x a quarter of the 20,000 target = 6,250.00.
        assert result.total <= 625_000


@settings(max_examples=40, deadline=None)
@given(
    st.lists(deal_fields, max_size=10),
    deal_fields,
    st.integers(min_value=0, max_value=60),
)
def test_won_then_cancelled_within_the_window_nets_to_zero(
    rows: list[tuple[str, int, int, str]], extra: tuple[str, int, int, str], after_days: int
) -> None:
    owner, amount, day, product = extra
    close = d("2026-01-01") + dt.timedelta(days=day)
    cancelled = Deal(
        "X",
        owner,
        amount,
        "USD",
        close,
        status="cancelled",
        product=product,
        cancel_date=close + dt.timedelta(days=after_days),
    )
    if cancelled.cancel_date and cancelled.cancel_date > d("2026-12-31"):
        return  # reversed after the plan ends: outside what this plan evaluates
    without = totals(make_deals(rows))
    with_cancelled = totals([*make_deals(rows), cancelled])
    for person in ("a", "b", "c"):
        assert sum(v for (p, _), v in with_cancelled.items() if p == person) == sum(
            v for (p, _), v in without.items() if p == person
        )


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=1, max_value=10_000_000),
    st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=4),
)
def test_splits_conserve_the_credited_amount(amount: int, parts: list[int]) -> None:
    # Percentages with up to 4 decimals that sum to exactly 100.
    weights = [Decimal(p) for p in parts]
    percents = [(w * 100 / sum(weights)).quantize(Decimal("0.0001")) for w in weights]
    percents[-1] = Decimal(100) - sum(percents[:-1])
    owners = ["a", "b", "c", "a"][: len(percents)]
    deal = Deal("D", "a", amount, "USD", d("2026-02-01"), product="Q")
    splits = [Split("D", who, pct) for who, pct in zip(owners, percents, strict=True)]
    inputs = Inputs.from_rows(PEOPLE, [deal], quotas=QUOTAS, splits=splits)
    results = evaluate(PLAN, inputs, ["2026-Q1"]).results
    assert sum(r.measure("bookings").value for r in results) * 100 == amount


@given(
    st.integers(min_value=-1_000_000, max_value=50_000_000),
    st.lists(st.integers(min_value=1, max_value=5_000_000), min_size=1, max_size=4),
    st.lists(st.decimals(min_value=0, max_value=1, places=4), min_size=5, max_size=5),
)
def test_graduated_tiers_equal_the_sum_of_their_slices(
    value: int, widths: list[int], rates: list[Decimal]
) -> None:
    bounds = [0]
    for width in widths:
        bounds.append(bounds[-1] + width)
    bands = [
        Band(Decimal(lo), None if i == len(bounds) - 1 else Decimal(bounds[i + 1]), rates[i])
        for i, lo in enumerate(bounds)
    ]
    earned, steps = graduated(Decimal(value), bands)
    assert earned == sum(s.earned for s in steps)
    assert sum(s.base for s in steps) == Decimal(value)
    # Each slice by its own definition: the part of the value inside the band.
    for band in bands:
        inside = max(Decimal(0), min(Decimal(value), band.upper or Decimal(value)) - band.lower)
        step = next((s for s in steps if s.lower == band.lower), None)
        if value >= 0:
            assert (step.base if step else Decimal(0)) == inside
