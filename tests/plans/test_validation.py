"""Bad plan files are refused with the file, the path inside it and the problem, all at once."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from incentives.plans.load import FileProblem, load_plan, read_plan
from incentives.plans.strict_yaml import parse_text

GOOD = """\
kind: commission
key: ae
version: 1
name: AE
effective: {from: 2026-01-01, to: 2026-12-31}
payout_currency: USD
period: quarter
measures:
  - {key: bookings, name: Bookings, source: deals, aggregate: sum, quota: true}
components:
  - key: commission
    name: Commission
    type: tiered
    measure: bookings
    on: attainment
    method: graduated
    tiers:
      - {from: 0%, to: 100%, rate: 8%}
      - {from: 100%, rate: 12%}
"""


def problems(tmp_path: Path, text: str, name: str = "plan.yaml") -> list[tuple[str, str]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    plan, found = read_plan(path)
    assert plan is None
    assert all(p.file == path for p in found)
    return [(p.path, p.message) for p in found]


def test_good_plan_reads(tmp_path: Path) -> None:
    path = tmp_path / "ae.yaml"
    path.write_text(GOOD, encoding="utf-8")
    plan = load_plan(path)
    assert plan.components[0].key == "commission"


def test_decimals_are_exact(tmp_path: Path) -> None:
    text = GOOD.replace("rate: 8%}", "rate: 0.1%}").replace(
        "quota: true}",
        "quota: true, multipliers: [{where: {field: product, equals: X}, factor: 0.1}]}",
    )
    path = tmp_path / "ae.yaml"
    path.write_text(text, encoding="utf-8")
    plan = load_plan(path)
    assert plan.measures[0].multipliers[0].factor == Decimal("0.1")
    tier = plan.components[0].tiers[0]  # type: ignore[union-attr]
    assert tier.rate == Decimal("0.001")


def test_json_plans_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "ae.json"
    path.write_text(json.dumps(parse_text(GOOD, ".yaml")), encoding="utf-8")
    assert load_plan(path).key == "ae"


def test_unknown_keys_with_a_suggestion(tmp_path: Path) -> None:
    text = GOOD.replace("    measure: bookings\n    on:", "    measur: bookings\n    on:")
    assert problems(tmp_path, text) == [
        ("components[0].measur", "unknown key; did you mean 'measure'?"),
        ("components[0].measure", "missing"),
    ]


def test_wrong_types_and_bad_dates_all_at_once(tmp_path: Path) -> None:
    text = (
        GOOD.replace("version: 1", "version: one")
        .replace("to: 2026-12-31", "to: 2026-02-30")
        .replace("period: quarter", "period: weekly")
    )
    assert problems(tmp_path, text) == [
        ("version", "expected a whole number, got 'one'"),
        ("effective.to", "expected a date (YYYY-MM-DD), got '2026-02-30'"),
        ("period", "must be one of: month, quarter, year (got 'weekly')"),
    ]


def test_dates_in_the_wrong_order(tmp_path: Path) -> None:
    text = GOOD.replace("from: 2026-01-01, to: 2026-12-31", "from: 2026-06-01, to: 2026-01-01")
    assert problems(tmp_path, text) == [("effective.to", "ends before the plan starts")]


def test_unsorted_and_overlapping_tiers(tmp_path: Path) -> None:
    text = GOOD.replace(
        "      - {from: 100%, rate: 12%}",
        "      - {from: 90%, to: 150%, rate: 12%}\n      - {from: 160%, rate: 15%}",
    )
    assert problems(tmp_path, text) == [
        ("components[0].tiers[1].from", "overlaps the tier before it (tiers must be in order)"),
        ("components[0].tiers[2].from", "leaves a gap after the tier before it"),
    ]


def test_open_ended_tier_must_be_last(tmp_path: Path) -> None:
    text = GOOD.replace("{from: 0%, to: 100%, rate: 8%}", "{from: 0%, rate: 8%}")
    assert problems(tmp_path, text) == [
        ("components[0].tiers[0].to", "missing: only the last tier is open-ended"),
    ]


def test_negative_absurd_and_unmarked_rates(tmp_path: Path) -> None:
    text = GOOD.replace("rate: 8%", "rate: -1%").replace("rate: 12%", "rate: 120%")
    assert problems(tmp_path, text) == [
        ("components[0].tiers[0].rate", "cannot be negative"),
        ("components[0].tiers[1].rate", "above 100% of the amount is not plausible"),
    ]
    unmarked = GOOD.replace("rate: 8%", "rate: 0.08")
    assert problems(tmp_path, unmarked) == [
        ("components[0].tiers[0].rate", "write percentages with a % sign, e.g. 8% (got '0.08')"),
    ]


def test_attainment_tiers_need_a_quota(tmp_path: Path) -> None:
    text = GOOD.replace("quota: true", "quota: false")
    assert problems(tmp_path, text) == [
        (
            "components[0].on",
            "tiers on attainment need a quota, but measure 'bookings' has no quota "
            "(add quota: true to the measure)",
        ),
    ]


def test_unknown_measure_and_component_type(tmp_path: Path) -> None:
    text = GOOD.replace("    measure: bookings\n    on:", "    measure: revenue\n    on:") + (
        "  - {key: extra, name: Extra, type: lottery}\n"
    )
    assert problems(tmp_path, text) == [
        ("components[1].type", "must be one of: rate, tiered, bonus, spiff (got 'lottery')"),
        ("components[0].measure", "no measure with key 'revenue'"),
    ]


SECOND_COMPONENT = """\
  - {key: flat, name: Flat, type: rate, measure: bookings, rate: 150%}
"""


def test_type_and_semantic_problems_of_different_components_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("rate: 12%", "rate: 0.12") + SECOND_COMPONENT
    assert problems(tmp_path, text) == [
        ("components[0].tiers[1].rate", "write percentages with a % sign, e.g. 8% (got '0.12')"),
        ("components[1].rate", "above 100% of the amount is not plausible"),
    ]


def test_settings_and_measures_are_checked_beside_a_broken_component(tmp_path: Path) -> None:
    text = (
        GOOD.replace("from: 2026-01-01, to: 2026-12-31", "from: 2026-06-01, to: 2026-01-01")
        .replace("key: bookings,", "key: Bookings!,")
        .replace("method: graduated", "method: stepped")
    )
    assert problems(tmp_path, text) == [
        ("components[0].method", "must be one of: graduated, retroactive (got 'stepped')"),
        ("effective.to", "ends before the plan starts"),
        ("measures[0].key", "use lower-case letters, digits, '-' and '_'"),
    ]


def test_parts_that_depend_on_a_broken_part_are_not_guessed_at(tmp_path: Path) -> None:
    # The measure has a type problem: whether 'bookings' exists or has a quota is unknown.
    # The payout currency has one: how many decimals an amount may have is unknown.
    text = (
        GOOD.replace("aggregate: sum", "aggregate: average").replace(
            "payout_currency: USD", "payout_currency: [USD]"
        )
        + SECOND_COMPONENT.replace("rate: 150%", "rate: 10%, cap: {amount: 0.001}")
        + "  - {key: draw, name: Spiff, type: spiff, per_deal: -5}\n"
    )
    assert problems(tmp_path, text) == [
        ("payout_currency", "expected text, got ['USD']"),
        ("measures[0].aggregate", "must be one of: sum, count (got 'average')"),
        ("components[2].key", "'draw' names an adjustment line"),
        ("components[2].per_deal", "must be above 0"),
    ]


def test_conditions_are_checked(tmp_path: Path) -> None:
    text = GOOD.replace(
        "quota: true}",
        "quota: true, where: {field: amount, equals: 5, in: [1]}}",
    ).replace(
        "aggregate: sum, quota",
        "aggregate: sum, quota",
    )
    assert problems(tmp_path, text) == [
        ("measures[0].where", "use exactly one of: equals, in, at_least/below, all, any, not"),
    ]
    ranged = GOOD.replace("quota: true}", "quota: true, where: {field: product, at_least: 5}}")
    assert problems(tmp_path, ranged) == [
        ("measures[0].where", "'product' is text: use equals or in, not a range"),
    ]


def test_caps_and_draws(tmp_path: Path) -> None:
    text = (
        GOOD
        + "cap: {amount: 100, multiple_of_target: 2}\ndraw: {amount: 0.001, recoverable: false}\n"
    )
    assert problems(tmp_path, text) == [
        ("cap", "give exactly one of: amount, multiple_of_target"),
        ("draw.amount", "more decimal places than USD has (2)"),
    ]


def test_draw_options_are_checked(tmp_path: Path) -> None:
    text = GOOD + (
        "draw: {amount: 6000, recoverable: false, recovery: full, counts_from: plan_start,"
        " until: 2025-12-31}\n"
    )
    assert problems(tmp_path, text) == [
        ("draw.counts_from", "says where for_periods count from, but there is none"),
        ("draw.until", "is before the plan starts, so the draw would never pay"),
        ("draw.recovery", "only a recoverable draw is recovered"),
    ]
    path = tmp_path / "ae.yaml"
    path.write_text(GOOD + "draw: {amount: 6000, recoverable: true, recovery: all}\n")
    assert [str(p) for p in read_plan(path)[1]] == [
        f"{path}: draw.recovery: must be one of: excess_over_draw, full (got 'all')"
    ]
    counted = GOOD + "draw: {amount: 6000, recoverable: true, for_periods: 2, counts_from: hire}\n"
    assert problems(tmp_path, counted) == [
        ("draw.counts_from", "must be one of: participant_start, plan_start (got 'hire')"),
    ]


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("contest", "contest files are not commission plans; only commission plans pay"),
        ("achievement", "achievement files are not commission plans; only commission plans pay"),
        ("bonus", "must be one of: commission (got 'bonus')"),
    ],
)
def test_kinds_dispatch(tmp_path: Path, kind: str, message: str) -> None:
    assert problems(tmp_path, GOOD.replace("kind: commission", f"kind: {kind}")) == [
        ("kind", message)
    ]


def test_not_yaml(tmp_path: Path) -> None:
    found = problems(tmp_path, "kind: [unclosed")
    assert found[0][0] == ""
    assert found[0][1].startswith("not valid YAML/JSON")


def test_problem_text_names_file_path_and_message() -> None:
    problem = FileProblem(Path("plans/x.yaml"), "components[2].tiers[1].rate", "cannot be negative")
    assert str(problem) == "plans/x.yaml: components[2].tiers[1].rate: cannot be negative"
