"""``incentives simulate`` over the example data: JSON shape, amounts, explain, compare."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from incentives.cli import main
from tests.engine.builders import EXAMPLE_DATA, PLANS

AE = str(PLANS / "account-executive.yaml")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_shape_and_amounts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "simulate",
        AE,
        "--data",
        str(EXAMPLE_DATA),
        "--format",
        "json",
        "--period",
        "2026-Q1",
    )
    assert code == 0
    data = json.loads(out)
    assert data["plan"] == "account-executive"
    ann = next(r for r in data["results"] if r["participant"] == "ae-ann")
    assert ann == {
        "participant": "ae-ann",
        "name": "Ann Alvarez",
        "period": "2026-Q1",
        "currency": "USD",
        "measures": {"bookings": "179000.00"},
        "quotas": {"bookings": "100000.00"},
        "attainment": {"bookings": "1.7900"},
        "lines": [
            {
                "component": "commission",
                "name": "Bookings commission",
                "kind": "tiered",
                "amount": "18350.00",
            },
            {
                "component": "new-logo-spiff",
                "name": "New logo SPIFF",
                "kind": "spiff",
                "amount": "1200.00",
            },
        ],
        "total": "19550.00",
        "notes": [],
    }
    assert {r["period"] for r in data["results"]} == {"2026-Q1"}


def test_every_period_with_data_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "simulate", AE, "--data", str(EXAMPLE_DATA), "--format", "json")
    assert code == 0
    periods = {(r["participant"], r["period"]) for r in json.loads(out)["results"]}
    assert ("ae-ann", "2026-Q2") in periods
    assert not any(period in ("2026-Q3", "2026-Q4") for _, period in periods)


def test_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "simulate", AE, "--data", str(EXAMPLE_DATA), "--period", "2026-Q2")
    assert code == 0
    assert "ae-ann  Ann Alvarez  2026-Q2" in out
    assert "Clawback of cancelled deals" in out
    assert "-$2,750.00" in out


def test_explain(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "simulate", AE, "--data", str(EXAMPLE_DATA), "--explain", "ae-bob")
    assert code == 0
    assert "Your quota of $90,000.00 is prorated: you were active 45 of the 90 days." in out
    assert "Total for 2026-Q1: $6,000.00" in out


def test_explain_a_year_to_date_plan_with_the_deals_of_the_year(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plan = str(PLANS / "annual-quarterly-trueup.yaml")
    code, out, _ = run(capsys, "simulate", plan, "--data", str(EXAMPLE_DATA), "--explain", "ae-bob")
    assert code == 0
    _q1, q2 = out.strip().split("\n\n")
    # Q2's year-to-date measure holds Q1's deal too, so its deals do.
    assert q2.splitlines()[1:5] == [
        "You closed $75,000.00 of Bookings year to date.",
        "Deals credited to you:",
        "  D-1004 closed 2026-03-05: $30,000.00",
        "  D-1009 closed 2026-05-20: $45,000.00",
    ]


def test_compare(capsys: pytest.CaptureFixture[str]) -> None:
    other = str(PLANS / "annual-quarterly-trueup.yaml")
    code, out, _ = run(
        capsys, "simulate", AE, "--data", str(EXAMPLE_DATA), "--compare", other, "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    ann = next(p for p in data["participants"] if p["participant"] == "ae-ann")
    # AE plan: 19,550 + 6,450; true-up plan: 7,950 + 6,370.
    assert ann == {
        "participant": "ae-ann",
        "name": "Ann Alvarez",
        "account-executive": "26000.00",
        "annual-quarterly-trueup": "14320.00",
        "difference": "-11680.00",
    }


def test_bad_csv_row_names_file_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE_DATA, data)
    deals = data / "deals.csv"
    deals.write_text(
        deals.read_text(encoding="utf-8").replace("40000.00", "40000.x"), encoding="utf-8"
    )
    code, _, err = run(capsys, "simulate", AE, "--data", str(data))
    assert code == 1
    assert f"{deals}: line 3, column amount: '40000.x' is not an amount: plain digits" in err


def test_period_of_the_wrong_kind(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "simulate", AE, "--data", str(EXAMPLE_DATA), "--period", "2026-03")
    assert code == 1
    assert "paid by quarter" in err


def test_missing_files_mean_no_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "simulate", AE, "--data", str(tmp_path), "--format", "json")
    assert code == 0
    assert json.loads(out) == {"plan": "account-executive", "results": []}


def test_extra_activity_columns_are_attributes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE_DATA, data)
    (data / "activities.csv").write_text(
        "id,participant_id,type,occurred_on,quantity,outcome\n"
        "A-1,sdr-sam,meeting_held,2026-01-12,12,held\n"
        "A-2,sdr-sam,meeting_held,2026-01-26,13,no_show\n",
        encoding="utf-8",
    )
    sdr = (PLANS / "sdr.yaml").read_text(encoding="utf-8")
    only_held = (
        "where: {all: [{field: type, equals: meeting_held}, {field: outcome, equals: held}]}"
    )
    plan = tmp_path / "sdr.yaml"
    plan.write_text(
        sdr.replace("where: {field: type, equals: meeting_held}", only_held), encoding="utf-8"
    )
    code, out, _ = run(
        capsys,
        "simulate",
        str(plan),
        "--data",
        str(data),
        "--format",
        "json",
        "--period",
        "2026-01",
    )
    assert code == 0
    [sam] = json.loads(out)["results"]
    # 12 of the 25 meetings were held: 60% of the quota of 20, past the gate: 12 x 50.
    assert sam["measures"]["meetings_held"] == "12.00"
    assert sam["lines"] == [
        {"component": "meetings", "name": "Meetings held", "kind": "rate", "amount": "600.00"}
    ]
