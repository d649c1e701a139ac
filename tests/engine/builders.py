"""Small helpers to write engine tests: plans from YAML text, the example plans, dates,
and the participant, measure and deals most feature tests start from."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from incentives.engine.decode import Plan, decode_plan
from incentives.engine.records import Deal, Participant
from incentives.plans.load import load_plan
from incentives.plans.strict_yaml import parse_text

REPO = Path(__file__).resolve().parents[2]
PLANS = REPO / "plans"
EXAMPLE_DATA = PLANS / "examples" / "data"


def plan_from_yaml(text: str) -> Plan:
    """A plan from YAML text; fails the test with every problem if it is invalid."""
    plan, problems = decode_plan(parse_text(text, ".yaml"))
    assert plan is not None, [str(p) for p in problems]
    return plan


def example_plan(name: str) -> Plan:
    """One of the example plans in plans/."""
    return load_plan(PLANS / f"{name}.yaml")


def d(text: str) -> dt.date:
    """A date from ``YYYY-MM-DD``."""
    return dt.date.fromisoformat(text)


BASE = """
kind: commission
key: test
version: 1
name: Test plan
effective: {from: 2026-01-01, to: 2026-12-31}
payout_currency: USD
period: quarter
"""


def simple_plan(body: str, header: str = BASE) -> Plan:
    """A quarterly USD plan from 2026 with the given measures and components."""
    return plan_from_yaml(header + body)


ANN = Participant("ann", "Ann", d("2025-01-01"), target_incentive=4_000_000)
BOOKINGS = """
measures:
  - {key: bookings, name: Bookings, source: deals, aggregate: sum, quota: true}
"""
FLAT = """
components:
  - {key: c, name: Commission, type: rate, measure: bookings, rate: 10%}
"""


def deal(deal_id: str, amount: int, **kw: object) -> Deal:
    """A won USD deal of Ann's, closed on 2026-02-01 unless ``kw`` says otherwise."""
    fields: dict[str, object] = {
        "owner_id": "ann",
        "currency": "USD",
        "close_date": d("2026-02-01"),
    }
    fields.update(kw)
    return Deal(deal_id, amount=amount, **fields)  # type: ignore[arg-type]
