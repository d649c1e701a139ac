"""The vocabulary of a plan and the near matches ingest warns about (pure functions)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from incentives.demo.dataset import build
from incentives.engine.vocabulary import Vocabulary, merge, plan_vocabulary
from incentives.ingest.items import ActivityItem, DealItem, convert_items
from incentives.ingest.warnings import item_warnings, near_keys, near_values, normalise
from incentives.plans.publish import parse


def _plan(name: str) -> Vocabulary:
    path = Path("plans") / name
    return plan_vocabulary(parse(path.read_text(), str(path)))


def test_the_account_executive_plan_names_products_and_deal_type() -> None:
    vocabulary = _plan("account-executive.yaml")
    assert vocabulary.deals == {
        "product": frozenset({"Platform", "Analytics"}),
        "deal_type": frozenset({"new_business"}),
    }
    assert vocabulary.activities == {}


def test_the_sdr_plan_names_activity_types() -> None:
    assert _plan("sdr.yaml").activities == {"type": frozenset({"meeting_held", "call"})}


def test_merge_unites_the_values_of_each_field() -> None:
    merged = merge([_plan("account-executive.yaml"), _plan("sdr.yaml")])
    assert merged.deals["product"] == {"Platform", "Analytics"}
    assert merged.activities["type"] == {"meeting_held", "call"}


def test_normalise_ignores_case_and_separators() -> None:
    assert normalise("New business") == normalise("new_business") == normalise("NEW-BUSINESS")


def test_near_values_only_for_loose_equals() -> None:
    known = frozenset({"Platform", "Analytics"})
    assert near_values("platform", known) == ["Platform"]
    assert near_values(" PLAT-FORM ", known) == ["Platform"]
    assert near_values("Platform", known) == []  # exact: a condition matches it
    assert near_values("Platforms", known) == []  # another value, not a spelling of one
    assert near_values("Services", known) == []


def test_near_keys() -> None:
    known = ["deal_type", "region"]
    assert near_keys("Deal_Type", known) == ["deal_type"]
    assert near_keys("dealtype", known) == ["deal_type"]
    assert near_keys("deal_typ", known) == ["deal_type"]  # one letter off
    assert near_keys("type", known) == ["deal_type"]  # the key's last word
    assert near_keys("regon", known) == ["region"]  # one letter missing
    assert near_keys("deal_tpye", known) == ["deal_type"]  # two letters swapped, long key
    assert near_keys("deal_type", known) == []
    assert near_keys("stage", known) == []
    assert near_keys("id", ["ids"]) == []  # too short to guess at


def test_the_demo_data_set_matches_the_example_plans_without_warnings() -> None:
    plans = [
        parse(path.read_text(), str(path))
        for path in sorted((Path(__file__).resolve().parents[2] / "plans").glob("*.yaml"))
        if "kind: commission" in path.read_text()
    ]
    vocabulary = merge(plan_vocabulary(plan) for plan in plans)
    data = build(dt.date(2026, 12, 7))
    deals, _ = convert_items(data.deals, DealItem)
    activities, _ = convert_items(data.activities, ActivityItem)
    assert len(deals) == len(data.deals) and len(activities) == len(data.activities)
    found = [
        w
        for i, d in enumerate(deals)
        for w in item_warnings(i, d, {"product": d.product}, vocabulary.deals)
    ]
    found += [
        w
        for i, a in enumerate(activities)
        for w in item_warnings(i, a, {"type": a.type}, vocabulary.activities)
    ]
    assert found == []


def test_built_in_fields_the_plans_read_are_not_attribute_keys() -> None:
    # The plan reads the deal's own amount and status, never an attribute of that name.
    fields = {"amount": frozenset[str](), "status": frozenset({"won"}), "deal_type": frozenset()}
    [deal], _ = convert_items(
        [
            {
                "external_id": "D-1",
                "owner": "rep-1",
                "amount": "10",
                "currency": "USD",
                "close_date": "2026-03-01",
                "status": "won",
                "attributes": {"Amount": "10", "Status": "Won", "dealtype": "x"},
            }
        ],
        DealItem,
    )
    found = item_warnings(0, deal, {"product": deal.product}, fields)
    assert [(w.field, w.value, w.known) for w in found] == [
        ("attributes", "dealtype", ["deal_type"])
    ]
