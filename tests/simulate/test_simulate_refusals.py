"""``incentives simulate`` refuses what ingest refuses, in ingest's words, at the row."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.cli import main
from incentives.db.connection import driver_transaction
from incentives.ingest import rules
from incentives.ingest.csv_messages import friendly
from incentives.ingest.problems import BatchRejected
from incentives.ingest.service import ingest
from tests.engine.builders import PLANS

AE = str(PLANS / "account-executive.yaml")
SDR = str(PLANS / "sdr.yaml")

PARTICIPANTS = """\
id,name,email,currency,start_date,end_date,target_incentive
ana,Ana Lima,ana@example.com,USD,2025-01-01,,40000
bo,Bo Chen,bo@example.com,USD,2025-01-01,,40000
mia,Mia Roth,mia@example.com,USD,2024-01-01,,60000
"""
PEOPLE = [
    {"external_id": p, "name": p, "currency": "USD", "start_date": "2025-01-01"}
    for p in ("ana", "bo", "mia")
]
DEALS = "id,owner_id,amount,currency,close_date,status,product,cancel_date\n"
ASSIGNMENTS = "participant_id,manager_id,team,valid_from,valid_to\n"


def deal(**overrides: Any) -> dict[str, Any]:
    base = {
        "external_id": "D-1",
        "owner": "ana",
        "amount": "100.00",
        "currency": "USD",
        "close_date": "2026-02-14",
        "status": "won",
    }
    return base | overrides


@dataclass(frozen=True)
class Case:
    """Files of a data folder ingest would refuse, what simulate says (file, line, column,
    message) and the same items as an ingest batch, with the (field, message) it says."""

    name: str
    files: dict[str, str]
    said: list[tuple[str, int, str, str]]
    kind: str
    items: list[dict[str, Any]]
    ingest_says: list[tuple[str, str]] = field(default_factory=list)


PERIOD_PATTERN = "Expected `str` matching regex '^[0-9]{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$'"

CASES = [
    Case(
        "negative deal amount",
        {"deals.csv": DEALS + "D-1,ana,-100.00,USD,2026-02-14,won,,\n"},
        [("deals.csv", 2, "amount", "must not be negative")],
        "deals",
        [deal(amount="-100.00")],
        [("amount", "must not be negative")],
    ),
    Case(
        "amount with more places than its currency",
        {"deals.csv": DEALS + "D-1,ana,100.005,USD,2026-02-14,won,,\n"},
        [("deals.csv", 2, "amount", "100.005 has more decimal places than USD allows (2)")],
        "deals",
        [deal(amount="100.005")],
        [("amount", "100.005 has more decimal places than USD allows (2)")],
    ),
    Case(
        "unknown currency",
        {"deals.csv": DEALS + "D-1,ana,100.00,XXX,2026-02-14,won,,\n"},
        [("deals.csv", 2, "currency", "unknown currency 'XXX'")],
        "deals",
        [deal(currency="XXX")],
        [("currency", "unknown currency 'XXX'")],
    ),
    Case(
        "cancel date before the close date",
        {"deals.csv": DEALS + "D-1,ana,100.00,USD,2026-02-14,cancelled,,2026-02-01\n"},
        [("deals.csv", 2, "cancel_date", "is before close_date")],
        "deals",
        [deal(status="cancelled", cancel_date="2026-02-01")],
        [("cancel_date", "is before close_date")],
    ),
    Case(
        "cancel date on a won deal",
        {"deals.csv": DEALS + "D-1,ana,100.00,USD,2026-02-14,won,,2026-03-01\n"},
        [("deals.csv", 2, "cancel_date", "is only for cancelled deals")],
        "deals",
        [deal(cancel_date="2026-03-01")],
        [("cancel_date", "is only for cancelled deals")],
    ),
    Case(
        "unknown owner",
        {"deals.csv": DEALS + "D-1,nobody,100.00,USD,2026-02-14,won,,\n"},
        [("deals.csv", 2, "owner_id", "unknown participant 'nobody'")],
        "deals",
        [deal(owner="nobody")],
        [("owner", "unknown participant 'nobody'")],
    ),
    Case(
        "splits not adding up to 100",
        {
            "deals.csv": DEALS + "D-1,ana,100.00,USD,2026-02-14,won,,\n",
            "splits.csv": "deal_id,participant_id,percent\nD-1,ana,60\nD-1,bo,30\n",
        },
        [("splits.csv", 2, "percent", "percentages sum to 90, not 100")],
        "deals",
        [
            deal(
                splits=[
                    {"participant": "ana", "percent": "60"},
                    {"participant": "bo", "percent": "30"},
                ]
            )
        ],
        [("splits", "percentages sum to 90, not 100")],
    ),
    Case(
        "a split naming a participant twice",
        {
            "deals.csv": DEALS + "D-1,ana,100.00,USD,2026-02-14,won,,\n",
            "splits.csv": "deal_id,participant_id,percent\nD-1,bo,50\nD-1,bo,50\n",
        },
        [("splits.csv", 3, "participant_id", "names a participant more than once")],
        "deals",
        [
            deal(
                splits=[
                    {"participant": "bo", "percent": "50"},
                    {"participant": "bo", "percent": "50"},
                ]
            )
        ],
        [("splits", "names a participant more than once")],
    ),
    Case(
        "a split to someone unknown",
        {
            "deals.csv": DEALS + "D-1,ana,100.00,USD,2026-02-14,won,,\n",
            "splits.csv": "deal_id,participant_id,percent\nD-1,ana,50\nD-1,zed,50\n",
        },
        [("splits.csv", 3, "participant_id", "unknown participant 'zed'")],
        "deals",
        [
            deal(
                splits=[
                    {"participant": "ana", "percent": "50"},
                    {"participant": "zed", "percent": "50"},
                ]
            )
        ],
        [("splits[1].participant", "unknown participant 'zed'")],
    ),
    Case(
        "overlapping assignments",
        {
            "assignments.csv": ASSIGNMENTS
            + "ana,mia,west,2026-01-01,\nana,bo,west,2026-03-01,2026-06-30\n"
        },
        [
            (
                "assignments.csv",
                2,
                "valid_from",
                "overlaps the assignment from 2026-03-01 to 2026-06-30",
            ),
            (
                "assignments.csv",
                3,
                "valid_from",
                "overlaps the assignment from 2026-01-01 to open end",
            ),
        ],
        "assignments",
        [
            {"participant": "ana", "manager": "mia", "valid_from": "2026-01-01"},
            {
                "participant": "ana",
                "manager": "bo",
                "valid_from": "2026-03-01",
                "valid_to": "2026-06-30",
            },
        ],
        [
            ("valid_from", "overlaps the assignment from 2026-03-01 to 2026-06-30"),
            ("valid_from", "overlaps the assignment from 2026-01-01 to open end"),
        ],
    ),
    Case(
        "a management cycle",
        {"assignments.csv": ASSIGNMENTS + "ana,bo,,2026-01-01,\nbo,ana,,2026-02-01,2026-05-31\n"},
        [
            (
                "assignments.csv",
                2,
                "manager_id",
                "makes a management cycle: ana → bo → ana from 2026-02-01 to 2026-05-31",
            ),
            (
                "assignments.csv",
                3,
                "manager_id",
                "makes a management cycle: bo → ana → bo from 2026-02-01 to 2026-05-31",
            ),
        ],
        "assignments",
        [
            {"participant": "ana", "manager": "bo", "valid_from": "2026-01-01"},
            {
                "participant": "bo",
                "manager": "ana",
                "valid_from": "2026-02-01",
                "valid_to": "2026-05-31",
            },
        ],
        [
            ("manager", "makes a management cycle: ana → bo → ana from 2026-02-01 to 2026-05-31"),
            ("manager", "makes a management cycle: bo → ana → bo from 2026-02-01 to 2026-05-31"),
        ],
    ),
    Case(
        "a participant managing themselves",
        {"assignments.csv": ASSIGNMENTS + "ana,ana,,2026-01-01,\n"},
        [("assignments.csv", 2, "manager_id", "a participant cannot manage themselves")],
        "assignments",
        [{"participant": "ana", "manager": "ana", "valid_from": "2026-01-01"}],
        [("manager", "a participant cannot manage themselves")],
    ),
    Case(
        "an assignment ending before it starts",
        {"assignments.csv": ASSIGNMENTS + "ana,mia,,2026-03-01,2026-02-01\n"},
        [("assignments.csv", 2, "valid_to", "is before valid_from")],
        "assignments",
        [
            {
                "participant": "ana",
                "manager": "mia",
                "valid_from": "2026-03-01",
                "valid_to": "2026-02-01",
            }
        ],
        [("valid_to", "is before valid_from")],
    ),
    Case(
        "a participant leaving before starting",
        {
            "participants.csv": PARTICIPANTS
            + "cy,Cy Ode,cy@example.com,USD,2026-03-01,2026-02-01,0\n"
        },
        [("participants.csv", 5, "end_date", "is before start_date")],
        "participants",
        [
            {
                "external_id": "cy",
                "name": "Cy Ode",
                "currency": "USD",
                "start_date": "2026-03-01",
                "end_date": "2026-02-01",
            }
        ],
        [("end_date", "is before start_date")],
    ),
    Case(
        "an e-mail without @",
        {"participants.csv": PARTICIPANTS + "cy,Cy Ode,cy.example.com,USD,2026-01-01,,0\n"},
        [("participants.csv", 5, "email", "is not an e-mail address")],
        "participants",
        [{"external_id": "cy", "name": "Cy Ode", "currency": "USD", "email": "cy.example.com"}],
        [("email", "is not an e-mail address")],
    ),
    Case(
        "a negative activity quantity",
        {
            "activities.csv": "id,participant_id,type,occurred_on,quantity\n"
            "A-1,ana,call,2026-01-05,-1\n"
        },
        [("activities.csv", 2, "quantity", "must not be negative")],
        "activities",
        [
            {
                "external_id": "A-1",
                "participant": "ana",
                "type": "call",
                "occurred_at": "2026-01-05T00:00:00Z",
                "quantity": "-1",
            }
        ],
        [("quantity", "must not be negative")],
    ),
    Case(
        "a negative quota",
        {"quotas.csv": "participant_id,period,measure,amount\nana,2026-Q1,bookings,-100\n"},
        [("quotas.csv", 2, "amount", "must be zero or more, with at most 4 decimals")],
        "quotas",
        [{"participant": "ana", "period": "2026-Q1", "measure": "bookings", "amount": "-100"}],
        [("amount", "must be zero or more, with at most 4 decimals")],
    ),
    Case(
        "a quota for someone unknown",
        {"quotas.csv": "participant_id,period,measure,amount\nzed,2026-Q1,bookings,100\n"},
        [("quotas.csv", 2, "participant_id", "unknown participant 'zed'")],
        "quotas",
        [{"participant": "zed", "period": "2026-Q1", "measure": "bookings", "amount": "100"}],
        [("participant", "unknown participant 'zed'")],
    ),
    Case(
        "a quota for no period",
        {"quotas.csv": "participant_id,period,measure,amount\nana,2026-Q5,bookings,100\n"},
        [("quotas.csv", 2, "period", PERIOD_PATTERN)],
        "quotas",
        [{"participant": "ana", "period": "2026-Q5", "measure": "bookings", "amount": "100"}],
        [("period", PERIOD_PATTERN)],
    ),
    Case(
        "a rate of zero",
        {"fx_rates.csv": "currency,date,rate_to_payout_currency\nEUR,2026-01-01,0\n"},
        [("fx_rates.csv", 2, "rate_to_payout_currency", "must be above zero")],
        "fx_rates",
        [{"currency": "EUR", "to_currency": "USD", "date": "2026-01-01", "rate": "0"}],
        [("rate", "must be above zero")],
    ),
]


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(exist_ok=True)
    for name, text in ({"participants.csv": PARTICIPANTS} | files).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def simulate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["simulate", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_simulate_refuses_with_file_line_and_column(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write(tmp_path / "data", case.files)
    code, out, err = simulate(capsys, AE, "--data", str(data), "--format", "json")
    assert code == 1
    assert out == ""
    said = [
        f"{data / f}: line {line}, column {column}: {message}"
        for f, line, column, message in case.said
    ]
    assert err == "error: " + "\n".join(said) + "\n"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_ingest_refuses_the_same_items_in_the_same_words(case: Case, db: AsyncEngine) -> None:
    async with driver_transaction(db) as conn:
        await ingest(conn, "participants", PEOPLE, CLI_ACTOR)
    with pytest.raises(BatchRejected) as refused:
        async with driver_transaction(db) as conn:
            await ingest(conn, case.kind, case.items, CLI_ACTOR)
    assert [(p.field, p.message) for p in refused.value.problems] == case.ingest_says
    assert [m for _, m in case.ingest_says] == [m for *_, m in case.said]


def test_a_repeated_key_names_the_first_line_as_the_csv_import_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write(
        tmp_path / "data",
        {"deals.csv": DEALS + "D-1,ana,100.00,USD,2026-02-14,won,,\n" * 2},
    )
    code, out, err = simulate(capsys, AE, "--data", str(data))
    assert (code, out) == (1, "")
    assert err == f"error: {data / 'deals.csv'}: line 3, column id: 'D-1' is already on line 2\n"
    assert rules.repeated_key("D-1", 2) == "'D-1' is already on line 2"


def test_a_split_of_no_deal_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write(tmp_path / "data", {"splits.csv": "deal_id,participant_id,percent\nD-9,ana,100\n"})
    code, out, err = simulate(capsys, AE, "--data", str(data))
    assert (code, out) == (1, "")
    assert err == f"error: {data / 'splits.csv'}: line 2, column deal_id: unknown deal 'D-9'\n"


def test_every_refusal_of_every_file_is_listed_in_file_and_line_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write(
        tmp_path / "data",
        {
            "deals.csv": DEALS
            + "D-1,ana,-1.00,USD,2026-02-14,won,,\nD-2,zed,5.00,USD,2026-02-14,won,,2026-03-01\n",
            "assignments.csv": ASSIGNMENTS + "bo,bo,,2026-01-01,\n",
        },
    )
    code, _, err = simulate(capsys, AE, "--data", str(data))
    assert code == 1
    assert err.splitlines() == [
        f"error: {data / 'assignments.csv'}: line 2, column manager_id:"
        " a participant cannot manage themselves",
        f"{data / 'deals.csv'}: line 2, column amount: must not be negative",
        f"{data / 'deals.csv'}: line 3, column owner_id: unknown participant 'zed'",
        f"{data / 'deals.csv'}: line 3, column cancel_date: is only for cancelled deals",
    ]


QUOTAS = """\
participant_id,period,measure,amount
ana,2026-Q1,bookings,100000.50
bo,2026-Q1,bookings,90000.25
sam,2026-01,meetings_held,20
"""
MEETINGS = "id,participant_id,type,occurred_on,quantity\nA-1,sam,meeting_held,2026-01-12,20\n"
SAM = "sam,Sam Diaz,sam@example.com,USD,2025-01-01,,30000\n"


def test_compare_over_one_folder_ignores_quotas_of_measures_a_plan_lacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write(
        tmp_path / "data",
        {
            "participants.csv": PARTICIPANTS + SAM,
            "quotas.csv": QUOTAS,
            "activities.csv": MEETINGS,
            "deals.csv": DEALS + "D-1,ana,50000.25,USD,2026-02-14,won,Core,\n",
        },
    )
    code, out, err = simulate(capsys, SDR, "--data", str(data), "--compare", AE, "--format", "json")
    assert code == 0
    quotas = data / "quotas.csv"
    assert err.splitlines() == [
        f"note: {quotas}: 2 quota row(s) ignored, for measure(s) plan sdr does not define:"
        " bookings",
        f"note: {quotas}: 1 quota row(s) ignored, for measure(s) plan account-executive does"
        " not define: meetings_held",
    ]
    rows = {
        p["participant"]: (p["sdr"], p["account-executive"])
        for p in json.loads(out)["participants"]
    }
    # SDR: 20 meetings at $50 and the $1,000 bonus; AE: the first tier's 8% of bookings.
    assert rows == {
        "ana": ("0.00", "4000.02"),
        "bo": ("0.00", "0.00"),
        "sam": ("2000.00", "0.00"),
    }

    code, out, err = simulate(capsys, AE, "--data", str(data), "--format", "json")
    assert code == 0
    assert err == (
        f"note: {quotas}: 1 quota row(s) ignored, for measure(s) plan account-executive does"
        " not define: meetings_held\n"
    )
    ana = next(r for r in json.loads(out)["results"] if r["participant"] == "ana")
    assert ana["quotas"] == {"bookings": "100000.50"}


def test_a_quota_of_a_measure_the_plan_has_is_still_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write(
        tmp_path / "data",
        {
            "participants.csv": PARTICIPANTS + SAM,
            "quotas.csv": QUOTAS.replace("meetings_held,20", "meetings_held,20.5"),
        },
    )
    code, out, err = simulate(capsys, SDR, "--data", str(data))
    assert (code, out) == (1, "")
    assert err == f"error: {data / 'quotas.csv'}: line 4, column amount: not a whole number: 20.5\n"
    # The plan without meetings_held leaves the row out instead.
    code, _, _ = simulate(capsys, AE, "--data", str(data), "--format", "json")
    assert code == 0
    cents = data / "quotas.csv"
    cents.write_text(QUOTAS.replace("100000.50", "100000.505"), encoding="utf-8")
    code, out, err = simulate(capsys, AE, "--data", str(data))
    assert (code, out) == (1, "")
    assert err == (
        f"error: {cents}: line 2, column amount: 100000.505 has more decimal places than USD"
        " allows (2)\n"
    )


def test_a_text_longer_than_ingest_takes_is_refused_as_the_csv_import_words_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long_id = "D" * 201
    data = write(
        tmp_path / "data", {"deals.csv": DEALS + f"{long_id},ana,1.00,USD,2026-02-14,won,,\n"}
    )
    code, out, err = simulate(capsys, AE, "--data", str(data))
    assert (code, out) == (1, "")
    assert err == f"error: {data / 'deals.csv'}: line 2, column id: is longer than 200 characters\n"
    assert friendly("external_id", "Expected `str` of length <= 200", long_id) == (
        "is longer than 200 characters"
    )


def test_values_ingest_cannot_take_are_told_before_the_rules_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deals = DEALS + "D-1,ana,100.00,usd,2026-02-14,won,,\nD-2,zed,-1.00,USD,2026-02-14,won,,\n"
    data = write(tmp_path / "data", {"deals.csv": deals})
    code, out, err = simulate(capsys, AE, "--data", str(data))
    assert (code, out) == (1, "")
    # Not "unknown currency 'usd'", nor the unknown owner or the amount of line 3 yet.
    assert (
        err
        == f"error: {data / 'deals.csv'}: line 2, column currency: 'usd' is not a currency code\n"
    )
