"""Pacing (engine/pacing.py): worked examples on the shipped plans, checked to the cent,
and properties that hold for any deals and any day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from incentives.engine.pacing import CreditedDeal, PaidLine, Signal, counted, pace, weights
from incentives.engine.plan import CommissionPlan
from incentives.plans.publish import parse

Q4 = (dt.date(2026, 10, 1), dt.date(2026, 12, 31))


def _plan(name: str) -> CommissionPlan:
    path = Path("plans") / name
    plan = parse(path.read_text(), str(path))
    assert isinstance(plan, CommissionPlan)
    return plan


def _deal(day: str, credited: str, product: str, share: str = "1") -> CreditedDeal:
    return CreditedDeal(
        dt.date.fromisoformat(day), Decimal(credited), Decimal(share), product, "won", "USD", {}
    )


AE = _plan("account-executive.yaml")
OVERLAY = _plan("manager-overlay.yaml")
DEALS = [
    _deal("2026-10-10", "40000", "Platform"),
    _deal("2026-10-20", "30000", "Services", share="0.5"),
    _deal("2026-11-02", "20000", "Analytics"),
    _deal("2026-11-02", "10000", "Services"),
]


def test_strategic_products_count_one_and_a_half_times() -> None:
    bookings = AE.measure("bookings")
    assert weights(bookings, DEALS, 2) == [Decimal("1.5"), 1, Decimal("1.5"), 1]
    assert counted(bookings, DEALS, 2) == [60000, 30000, 30000, 10000]


def test_a_rep_half_way_through_the_quarter_ahead_of_pace() -> None:
    commission = PaidLine(
        "commission", Decimal("10400.00"), {"cap": "32000", "measure": "bookings"}
    )
    found = pace(
        AE,
        AE.measure("bookings"),
        Decimal("130000"),
        Decimal("200000"),
        Q4,
        dt.date(2026, 11, 15),
        DEALS,
        [commission],
        2,
    )
    assert (found.days, found.elapsed) == (92, 46)
    assert found.points == [
        (dt.date(2026, 10, 10), Decimal(60000)),
        (dt.date(2026, 10, 20), Decimal(90000)),
        (dt.date(2026, 11, 2), Decimal(130000)),
    ]
    assert found.expected_to_date == 100000
    assert found.projected == 260000
    assert found.projected_attainment == Decimal("1.3")
    assert [(t.at, t.attainment, t.rate) for t in found.tiers] == [
        (Decimal(200000), Decimal(1), Decimal("0.12")),
        (Decimal(300000), Decimal("1.5"), Decimal("0.15")),
    ]
    assert found.next_tier is not None and found.next_tier.at == 200000
    assert found.gate is None and found.gate_reached is None
    assert found.cap == 32000 and found.capped_by is None
    assert found.signals == [Signal.NEXT_TIER]


def test_a_manager_below_the_gate_is_told_and_at_risk() -> None:
    found = pace(
        OVERLAY,
        OVERLAY.measure("team_bookings"),
        Decimal("400000"),
        Decimal("1000000"),
        Q4,
        dt.date(2026, 12, 1),
        [],
        [],
        2,
    )
    assert found.gate is not None and (found.gate.at, found.gate.attainment) == (
        Decimal(500000),
        Decimal("0.5"),
    )
    assert found.gate_reached is False
    # 400,000 over 62 of 92 days runs to 593,548.39 at the end: short of quota.
    assert f"{found.projected:.2f}" == "593548.39"
    assert found.signals == [Signal.GATE_NOT_REACHED, Signal.AT_RISK]


def test_a_capped_line_says_what_the_cap_held_back() -> None:
    line = PaidLine(
        "commission",
        Decimal("32000.00"),
        {"cap": "32000", "before_cap": "35500.00", "measure": "bookings"},
    )
    found = pace(
        AE, AE.measure("bookings"), Decimal("420000"), Decimal("200000"), Q4, Q4[1], [], [line], 2
    )
    assert found.capped_by == Decimal("3500.00")
    assert found.projected == 420000  # the period is over: the value is the finish
    assert found.signals == [Signal.CAPPED, Signal.QUOTA_REACHED]


amounts = st.decimals(min_value=0, max_value=1_000_000, places=2)
days = st.integers(min_value=0, max_value=91)
products = st.sampled_from(["Platform", "Analytics", "Services", ""])


@given(
    st.lists(st.tuples(days, amounts, products), max_size=30),
    st.integers(min_value=-10, max_value=120),
    st.decimals(min_value=1, max_value=10_000_000, places=2),
)
def test_pacing_properties(
    rows: list[tuple[int, Decimal, str]], offset: int, quota: Decimal
) -> None:
    """The curve rises, ends at the counted total, the projection extends the run rate and
    at risk means an open period projected below quota."""
    deals = [
        CreditedDeal(Q4[0] + dt.timedelta(days=n), a, Decimal(1), p, "won", "USD", {})
        for n, a, p in rows
    ]
    value = sum(counted(AE.measure("bookings"), deals, 2), Decimal(0))
    as_of = Q4[0] + dt.timedelta(days=offset)
    found = pace(AE, AE.measure("bookings"), value, quota, Q4, as_of, deals, [], 2)
    values = [v for _, v in found.points]
    assert values == sorted(values)
    assert (values[-1] if values else 0) == value
    assert len({d for d, _ in found.points}) == len(found.points)
    if 0 < found.elapsed < found.days:
        # Exact to Decimal's 28 significant digits, far below a cent.
        assert abs(found.projected * found.elapsed - value * found.days) < Decimal("1e-18")
    else:
        assert found.projected == value
    open_ = found.elapsed < found.days
    assert (Signal.AT_RISK in found.signals) == (open_ and found.projected < quota)
    assert (Signal.QUOTA_REACHED in found.signals) == (value >= quota)
    assert found.next_tier is None or found.next_tier.at > value
