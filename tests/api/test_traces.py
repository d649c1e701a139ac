"""Every trace the API answers is its kind's documented shape, and loses nothing on the way.

The demo's traces (every kind it makes), worked examples of what the demo never makes
(a plan cap, year-to-date true-ups, a gate missed), the vocabulary against the engine's,
and the schema served: each line's trace a ``oneOf`` told apart by ``kind``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, get_args, get_type_hints

import msgspec
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.calc.traces import (
    SHAPES,
    BonusTrace,
    CapBasis,
    DrawRecoveryRule,
    PlanCapTrace,
    RateTrace,
    Rounding,
    SpiffTrace,
    TieredTrace,
    TierMethod,
    TraceKind,
    line_trace,
)
from incentives.db.connection import driver_of
from incentives.demo.commands import load
from incentives.engine.evaluate import evaluate
from incentives.engine.plan import Cap, CommissionPlan, Component, DrawRecovery, TieredComponent
from incentives.engine.records import Deal, Participant, Quota
from incentives.engine.results import CapBasis as EngineCapBasis
from incentives.engine.results import Trace
from incentives.engine.tables import Inputs
from tests.api.conftest import Client
from tests.engine.builders import BASE, d, simple_plan

# What the demo does not make, and where each is made instead: the worked example below
# (plan caps), tests/integration/test_period_close.py (prior-period and manual
# adjustments). A kind added without a shape, or without a place here, fails.
NOT_IN_DEMO = {TraceKind.PLAN_CAP, TraceKind.ADJUSTMENT, TraceKind.MANUAL_ADJUSTMENT}

# A stored engine trace with nothing set: what a kind's undeclared fields hold.
UNSET = msgspec.json.decode(msgspec.json.encode(Trace(kind=TraceKind.RATE)))


def stored(trace: Trace) -> dict[str, Any]:
    """An engine trace as a run stores it (calc/persist.py: Decimals as their text)."""
    return dict(msgspec.json.decode(msgspec.json.encode(trace, enc_hook=str)))


def shaped(trace: dict[str, Any]) -> msgspec.Struct:
    """The stored trace in its kind's shape, checked to answer every field it holds as it
    holds it, and to leave out only fields the engine left unset."""
    shape = line_trace(trace)
    assert type(shape) is SHAPES[TraceKind(trace["kind"])]
    answered = msgspec.json.decode(msgspec.json.encode(shape))
    assert {k: v for k, v in trace.items() if k in answered} == answered, trace
    left_out = {k: v for k, v in trace.items() if k not in answered}
    assert left_out == {k: UNSET[k] for k in left_out}, trace
    return shape


# -- the vocabulary -------------------------------------------------------------------


def test_every_kind_has_a_shape_and_every_component_a_kind() -> None:
    assert set(SHAPES) == set(TraceKind)
    tags = {member.__struct_config__.tag for member in get_args(Component)}
    assert tags <= set(TraceKind)


def test_rounding_tier_methods_and_draw_recovery_are_the_plans() -> None:
    plan = get_type_hints(CommissionPlan)
    assert set(Rounding) == set(get_args(plan["rounding"]))
    tiers = get_type_hints(TieredComponent)
    methods = {f"{m} on {on}" for m in get_args(tiers["method"]) for on in get_args(tiers["on"])}
    assert set(TierMethod) == methods
    assert set(CapBasis) == set(get_args(EngineCapBasis)) == set(Cap.__struct_fields__)
    assert set(DrawRecoveryRule) == set(get_args(DrawRecovery))


# -- what the demo makes --------------------------------------------------------------


async def test_every_trace_of_the_demo_is_its_kinds_shape(db: AsyncEngine) -> None:
    await load(db, dt.date(2026, 12, 7))
    async with db.connect() as sa_conn:
        conn = await driver_of(sa_conn)
        rows = await conn.fetch(
            "SELECT trace FROM earning_lines UNION ALL SELECT trace FROM statement_lines"
        )
    kinds = {type(shaped(r["trace"])).__struct_config__.tag for r in rows}
    assert kinds == set(TraceKind) - NOT_IN_DEMO


# -- worked examples of what it does not ----------------------------------------------

# Annual quota 100,000; a year-to-date plan paid quarterly, every kind of component.
YEAR_TO_DATE = (
    BASE
    + """
true_up: year_to_date
clawback: {within_days: 90}
cap: {amount: 10000}
measures:
  - {key: bookings, name: Bookings, source: deals, aggregate: sum, quota: true}
components:
  - {key: c, name: Commission, type: rate, measure: bookings, rate: 10%, gate: 50%,
     cap: {amount: 9000}}
  - key: t
    name: Accelerator
    type: tiered
    measure: bookings
    on: attainment
    method: graduated
    gate: 50%
    tiers: [{from: 0%, to: 100%, rate: 1%}, {from: 100%, rate: 2%}]
  - {key: b, name: Bonus, type: bonus, measure: bookings,
     milestones: [{attainment: 100%, amount: 1000}]}
  - {key: s, name: Spiff, type: spiff, per_deal: 100}
"""
)


@pytest.fixture(scope="module")
def year_to_date() -> dict[tuple[str, str], dict[str, msgspec.Struct]]:
    """Per participant and quarter, each line's trace in its shape, by component.

    Ann: 60,000 in Q1 (60%), 50,000 more in Q2 (110%). Cara: 60,000 in Q1, cancelled in
    Q2, so her year to date falls below the gates.
    """
    people = [Participant(p, p.title(), d("2025-01-01")) for p in ("ann", "cara")]
    deals = [
        Deal("D1", "ann", 6_000_000, "USD", d("2026-02-01")),
        Deal("D2", "ann", 5_000_000, "USD", d("2026-05-10")),
        Deal("D3", "cara", 6_000_000, "USD", d("2026-02-01"), "cancelled", "", d("2026-04-15")),
    ]
    quotas = [Quota(p, "2026", "bookings", 10_000_000) for p in ("ann", "cara")]
    plan = simple_plan("", header=YEAR_TO_DATE)
    evaluation = evaluate(plan, Inputs.from_rows(people, deals, quotas=quotas))
    return {
        (r.participant_id, r.period): {x.component: shaped(stored(x.trace)) for x in r.lines}
        for r in evaluation.results
    }


def test_a_plan_cap_holds_back_what_the_year_to_date_total_exceeds(
    year_to_date: dict[tuple[str, str], dict[str, msgspec.Struct]],
) -> None:
    # Q2, year to date: 9,000 (capped from 11,000) + 1,200 + 1,000 + 200 = 11,400.
    cap = year_to_date[("ann", "2026-Q2")]["plan_cap"]
    assert cap == PlanCapTrace(
        cap="10000",
        before_cap="11400",
        cap_basis=CapBasis.AMOUNT,
        year_to_date="-1400",
        previously_paid="0",
    )


def test_component_lines_carry_the_year_so_far_and_what_it_paid(
    year_to_date: dict[tuple[str, str], dict[str, msgspec.Struct]],
) -> None:
    q2 = year_to_date[("ann", "2026-Q2")]
    rate, tiered, bonus, spiff = q2["c"], q2["t"], q2["b"], q2["s"]
    assert isinstance(rate, RateTrace) and isinstance(tiered, TieredTrace)
    assert (rate.cap, rate.before_cap, rate.year_to_date, rate.previously_paid) == (
        "9000",
        "11000.0",
        "9000",
        "6000",
    )
    assert (rate.gate, rate.gate_met, rate.rounding) == ("0.5", True, Rounding.HALF_UP)
    assert tiered.method is TierMethod.GRADUATED_ON_ATTAINMENT
    assert [(s.lower, s.upper, s.rate) for s in tiered.steps] == [
        ("0", "100000", "0.01"),
        ("100000", None, "0.02"),
    ]
    assert isinstance(bonus, BonusTrace) and bonus.milestones == [("1", "1000", True)]
    assert isinstance(spiff, SpiffTrace) and spiff.steps[0].base == "2"
    assert spiff.shares == [("1", 2)]  # both of Ann's deals, in full
    assert rate.cap_basis is CapBasis.AMOUNT and rate.cap_multiple is None


def test_a_gate_missed_on_the_year_so_far_takes_back_what_it_paid(
    year_to_date: dict[tuple[str, str], dict[str, msgspec.Struct]],
) -> None:
    q2 = year_to_date[("cara", "2026-Q2")]
    rate, tiered = q2["c"], q2["t"]
    assert isinstance(rate, RateTrace) and isinstance(tiered, TieredTrace)
    assert (rate.gate_met, rate.steps, rate.previously_paid) == (False, [], "6000")
    assert (tiered.gate_met, tiered.method, tiered.steps) == (False, None, [])


# -- nothing is dropped ---------------------------------------------------------------

RATE = stored(Trace(kind=TraceKind.RATE, measure="bookings", unrounded=Decimal(5)))


@pytest.mark.parametrize(
    ("trace", "error"),
    [
        ({**RATE, "deals": ["D-1"]}, "unknown field `deals`"),
        ({**RATE, "added": 1}, "unknown field `added`"),
        ({k: v for k, v in RATE.items() if k != "unrounded"}, "missing required field"),
        ({**RATE, "kind": "commission"}, "Invalid value 'commission'"),
        ({**RATE, "unrounded": 5}, "Expected `str`, got `int`"),
    ],
    ids=["undeclared-value", "new-field", "missing", "unknown-kind", "a-number"],
)
def test_what_a_shape_does_not_declare_fails_rather_than_vanishing(
    trace: dict[str, Any], error: str
) -> None:
    with pytest.raises(msgspec.ValidationError, match=error):
        line_trace(trace)


# -- the schema served ----------------------------------------------------------------


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _child(schema: dict[str, Any], node: dict[str, Any], field: str) -> dict[str, Any]:
    """``node``'s property ``field`` (``[]``: its items), in whichever choice of a
    ``oneOf`` has it."""
    for choice in node.get("oneOf", [node]):
        option = _resolve(schema, choice)
        found = option.get("items") if field == "[]" else option.get("properties", {}).get(field)
        if found is not None:
            return _resolve(schema, found)
    raise AssertionError(f"no {field} in {node}")


def _trace_schema(schema: dict[str, Any], path: str, *fields: str) -> dict[str, Any]:
    """The schema of the trace reached from ``path``'s answer through ``fields``."""
    content = schema["paths"][path]["get"]["responses"]["200"]["content"]
    node = _resolve(schema, content["application/json"]["schema"])
    for field in fields:
        node = _child(schema, node, field)
    return node


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/api/v1/me/earnings", ("[]", "trace")),
        ("/api/v1/participants/{participant}/earnings", ("[]", "trace")),
        ("/api/v1/statements/{statement}", ("lines", "[]", "trace")),
    ],
)
async def test_a_lines_trace_is_documented_as_one_of_the_kinds_told_apart_by_kind(
    client: Client, path: str, fields: tuple[str, ...]
) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    trace = _trace_schema(schema, path, *fields)
    assert trace["discriminator"]["propertyName"] == "kind"
    mapping = trace["discriminator"]["mapping"]
    assert set(mapping) == set(TraceKind)
    assert sorted(r["$ref"] for r in trace["oneOf"]) == sorted(mapping.values())
    for kind, ref in mapping.items():
        shape = _resolve(schema, {"$ref": ref})
        assert shape["properties"]["kind"]["const"] == kind
        assert "kind" in shape["required"]
        fields_of = set(SHAPES[TraceKind(kind)].__struct_fields__)
        assert set(shape["properties"]) == fields_of | {"kind"}
        described = {
            f for f, s in shape["properties"].items() if s.get("description") or f == "kind"
        }
        assert described == set(shape["properties"]), kind
