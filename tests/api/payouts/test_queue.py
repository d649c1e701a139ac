"""What waits for finance across periods, and each statement beside the previous period's
with outliers flagged."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.db.connection import driver_transaction
from incentives.ingest.service import ingest
from incentives.payouts.changes import Flag, flag
from tests.api.conftest import Client
from tests.api.payouts.conftest import Statements, insert_statement

Waiting = tuple[int, dict[str, str], list[tuple[str, int]]]


def _stages(queue: dict[str, Any]) -> dict[str, Waiting]:
    """Each stage's count, totals and (period, count) pairs."""
    return {
        s["stage"]: (
            s["statements"],
            s["totals"],
            [(p["period"], p["statements"]) for p in s["periods"]],
        )
        for s in queue["stages"]
    }


async def test_each_step_of_the_workflow_counts_what_waits_and_its_total(
    client: Client, statements: Statements
) -> None:
    auth = statements.auth
    queue = (await client.get("/api/v1/payouts/queue", headers=auth["finance"])).json()
    assert _stages(queue) == {
        "to_submit": (2, {"USD": "2634.31"}, [("2026-Q1", 2)]),
        "to_approve": (0, {}, []),
        "to_export": (0, {}, []),
        "to_pay": (0, {}, []),
    }
    assert queue["disputes"] == {"open": 0, "answered": 0, "periods": {}}

    submitted = await client.post(
        f"/api/v1/statements/{statements.rep_1}/submit", headers=auth["finance"]
    )
    assert submitted.status_code == 200, submitted.text
    disputed = await client.post(
        f"/api/v1/statements/{statements.rep_1}/lines/3/disputes",
        json={"message": "D-7 was never cancelled"},
        headers=auth["rep"],
    )
    assert disputed.status_code == 201, disputed.text
    queue = (await client.get("/api/v1/payouts/queue", headers=auth["finance"])).json()
    assert _stages(queue)["to_submit"] == (1, {"USD": "999.99"}, [("2026-Q1", 1)])
    assert _stages(queue)["to_approve"] == (1, {"USD": "1634.32"}, [("2026-Q1", 1)])
    assert queue["disputes"] == {"open": 1, "answered": 0, "periods": {"2026-Q1": 1}}

    approved = await client.post(
        f"/api/v1/statements/{statements.rep_1}/approve", headers=auth["finance-2"]
    )
    assert approved.status_code == 200, approved.text
    queue = (await client.get("/api/v1/payouts/queue", headers=auth["finance"])).json()
    assert _stages(queue)["to_export"] == (1, {"USD": "1634.32"}, [("2026-Q1", 1)])
    assert _stages(queue)["to_approve"] == (0, {}, [])

    exported = await client.post("/api/v1/payouts/export?period=2026-Q1", headers=auth["finance"])
    assert exported.status_code == 200, exported.text
    queue = (await client.get("/api/v1/payouts/queue", headers=auth["finance"])).json()
    assert _stages(queue)["to_export"] == (0, {}, [])
    assert _stages(queue)["to_pay"] == (1, {"USD": "1634.32"}, [("2026-Q1", 1)])

    paid = await client.post(
        "/api/v1/payouts/mark-paid", json={"period": "2026-Q1"}, headers=auth["finance"]
    )
    assert paid.status_code == 200, paid.text
    queue = (await client.get("/api/v1/payouts/queue", headers=auth["finance"])).json()
    assert _stages(queue)["to_pay"] == (0, {}, [])
    assert _stages(queue)["to_submit"] == (1, {"USD": "999.99"}, [("2026-Q1", 1)])


async def test_only_finance_and_admin_read_the_queue_and_the_changes(
    client: Client, statements: Statements
) -> None:
    auth = statements.auth
    for role in ("rep", "manager", "integration"):
        for path in ("/api/v1/payouts/queue", "/api/v1/payouts/changes?period=2026-Q1"):
            assert (await client.get(path, headers=auth[role])).status_code == 403, (role, path)
    assert (await client.get("/api/v1/payouts/queue")).status_code == 401
    assert (await client.get("/api/v1/payouts/queue", headers=auth["admin"])).status_code == 200


@pytest.fixture
async def two_quarters(db: AsyncEngine, statements: Statements) -> Statements:
    """Q2 closed too: rep-1 3000.00 (after 1634.32), rep-2 1049.99 (after 999.99), and
    rep-3, new, 700.00."""
    async with driver_transaction(db) as conn:
        await ingest(
            conn,
            "participants",
            [{"external_id": "rep-3", "name": "Rosa Rep", "currency": "USD"}],
            CLI_ACTOR,
        )
        await insert_statement(conn, "rep-1", "2026-Q2", [("earning", "Commission", 300000)])
        await insert_statement(conn, "rep-2", "2026-Q2", [("earning", "Commission", 104999)])
        await insert_statement(conn, "rep-3", "2026-Q2", [("earning", "Commission", 70000)])
        await conn.execute("UPDATE periods SET status = 'closed' WHERE label = '2026-Q2'")
    return statements


async def test_a_statement_is_set_beside_the_previous_period_and_outliers_flagged(
    client: Client, two_quarters: Statements
) -> None:
    auth = two_quarters.auth
    answer = await client.get("/api/v1/payouts/changes?period=2026-Q2", headers=auth["finance"])
    assert answer.status_code == 200, answer.text
    got = {
        c["participant"]: (
            c["previous_period"],
            c["previous_total"],
            c["change"],
            c["change_fraction"],
            c["flag"],
        )
        for c in answer.json()
    }
    assert got == {
        # +1365.68 on 1634.32 is +83.56%, and more than 500: an outlier.
        "rep-1": ("2026-Q1", "1634.32", "1365.68", "0.8356", "jump"),
        # +50.00 is 5%: steady.
        "rep-2": ("2026-Q1", "999.99", "50.00", "0.0500", "steady"),
        "rep-3": ("2026-Q1", None, None, None, "new"),
    }
    first = await client.get("/api/v1/payouts/changes?period=2026-Q1", headers=auth["finance"])
    assert {c["flag"] for c in first.json()} == {"first"}


async def test_a_rep_reads_the_change_of_their_own_statement_only(
    client: Client, two_quarters: Statements
) -> None:
    auth = two_quarters.auth
    listed = await client.get("/api/v1/statements?period=2026-Q2", headers=auth["rep"])
    (own,) = listed.json()
    change = await client.get(f"/api/v1/statements/{own['id']}/change", headers=auth["rep"])
    assert change.status_code == 200, change.text
    assert change.json()["previous_statement"] == two_quarters.rep_1
    assert change.json()["change"] == "1365.68"
    other = await client.get(f"/api/v1/statements/{two_quarters.rep_2}/change", headers=auth["rep"])
    assert other.status_code == 404
    missing = await client.get("/api/v1/statements/999999/change", headers=auth["finance"])
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("current", "previous", "currency", "expected"),
    [
        (150000, 100000, "USD", Flag.JUMP),  # +500.00 and +50%: both bounds reached
        (149999, 100000, "USD", Flag.STEADY),  # +499.99
        (50000, 100000, "USD", Flag.DROP),  # -500.00, -50%
        (200000, 140000, "USD", Flag.STEADY),  # +600.00 but +42.9%
        (0, 100000, "USD", Flag.DROP),
        (100000, None, "USD", Flag.NEW),
        (-60000, 0, "USD", Flag.DROP),  # from nothing to a clawback of 600.00
        (1000, 400, "JPY", Flag.JUMP),  # ¥600 has no minor unit
        (700, 400, "JPY", Flag.STEADY),  # ¥300
    ],
)
def test_an_outlier_is_large_both_in_proportion_and_in_money(
    current: int, previous: int | None, currency: str, expected: Flag
) -> None:
    assert flag(current, previous, currency, first=False) is expected


def test_the_first_period_of_its_kind_has_nothing_to_compare() -> None:
    assert flag(100000, None, "USD", first=True) is Flag.FIRST
