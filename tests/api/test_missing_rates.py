"""A deal in a currency with no exchange rate yet is taken, left unpaid and reported, and
paid once the rate arrives; nobody else's pay waits for it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.db.connection import driver_transaction
from tests.api.conftest import Client, Headers
from tests.api.test_after_ingest import _pay

EURO_DEAL = {
    "external_id": "D-EUR",
    "owner": "rep-1",
    "amount": "1000",
    "currency": "EUR",
    "close_date": "2026-03-02",
    "status": "won",
}
RATE = {"currency": "EUR", "to_currency": "USD", "date": "2026-01-01", "rate": "1.1"}
# The world's pay for 2026-Q1, in cents, without the euro deal.
PAID = {"rep-1": 128457, "rep-2": 5000, "rep-3": 10000}


async def _ingest(client: Client, headers: dict[str, str], kind: str, item: Any) -> Any:
    answer = await client.post(f"/api/v1/ingest/{kind}", json={"items": [item]}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _everyone(db: AsyncEngine) -> dict[str, int | None]:
    return {who: await _pay(db, who) for who in PAID}


async def _statements(db: AsyncEngine, period: str) -> dict[str, int]:
    async with driver_transaction(db) as conn:
        rows = await conn.fetch(
            "SELECT p.external_id, s.total_minor FROM statements s"
            " JOIN participants p ON p.id = s.participant_id WHERE s.period = $1",
            period,
        )
    return {r["external_id"]: r["total_minor"] for r in rows}


async def test_a_deal_without_a_rate_is_reported_and_paid_once_the_rate_arrives(
    db: AsyncEngine, client: Client, world: Headers
) -> None:
    taken = await _ingest(client, world["integration"], "deals", EURO_DEAL)
    (warning,) = taken["warnings"]
    assert warning["reason"] == "no_rate"
    assert (warning["key"], warning["field"], warning["known"]) == ("D-EUR", "currency", ["USD"])
    assert "no EUR→USD rate on or before 2026-03-02" in warning["message"]
    # The recompute the deal set off paid everyone else as before.
    assert await _everyone(db) == PAID

    run = await client.post(
        "/api/v1/calc-runs", json={"period": "2026-Q1"}, headers=world["finance"]
    )
    assert run.status_code == 201, run.text
    assert run.json()["status"] == "succeeded"
    counts = run.json()["counts"]
    assert counts["unpaid_deals"] == 1
    (unpaid,) = counts["unpaid"]
    assert unpaid["deal"] == "D-EUR"
    assert unpaid["participants"] == ["rep-1"]
    assert unpaid["reason"] == "no EUR→USD rate on or before 2026-03-02"
    assert await _everyone(db) == PAID

    # The rep reads why the deal is missing from their pay.
    told = await client.get("/api/v1/me/earnings/flat:2026-Q1:1/explain", headers=world["rep"])
    assert told.status_code == 200, told.text
    assert "no EUR→USD rate on or before 2026-03-02" in told.text

    plain = {"amount": "10000", "close_date": "2026-03-20"}
    estimated = await client.post(
        "/api/v1/me/estimate", json={"deals": [plain]}, headers=world["rep"]
    )
    assert estimated.status_code == 200, estimated.text
    (period,) = estimated.json()["periods"]
    assert period["difference"] == "1000.00"
    in_euros = await client.post(
        "/api/v1/me/estimate",
        json={"deals": [plain, plain | {"currency": "EUR"}]},
        headers=world["rep"],
    )
    assert in_euros.status_code == 422, in_euros.text
    (problem,) = in_euros.json()["errors"]
    assert problem["field"] == "deals[1].currency"
    assert "no EUR→USD rate on or before 2026-03-20" in problem["message"]

    # The rate's ingest recomputes the pay of the deal's owner: 10% of 1,100.00 more.
    rated = await _ingest(client, world["integration"], "fx_rates", RATE)
    assert rated["created"] == 1
    assert await _everyone(db) == PAID | {"rep-1": PAID["rep-1"] + 11000}
    again = await client.post(
        "/api/v1/calc-runs", json={"period": "2026-Q1"}, headers=world["finance"]
    )
    assert again.json()["counts"]["unpaid_deals"] == 0


async def test_a_period_closes_around_a_deal_without_a_rate_and_pays_it_later(
    db: AsyncEngine, client: Client, world: Headers
) -> None:
    await _ingest(client, world["integration"], "deals", EURO_DEAL)
    closed = await client.post("/api/v1/periods/2026-Q1/close", headers=world["finance"])
    assert closed.status_code == 200, closed.text
    assert await _statements(db, "2026-Q1") == PAID
    run = await client.get(f"/api/v1/calc-runs/{closed.json()['run_id']}", headers=world["finance"])
    assert [u["deal"] for u in run.json()["counts"]["unpaid"]] == ["D-EUR"]

    # Loaded after the close, the rate pays the deal as an adjustment in the next quarter.
    await _ingest(client, world["integration"], "fx_rates", RATE)
    async with driver_transaction(db) as conn:
        owed = await conn.fetchval(
            "SELECT sum(l.amount_minor) FROM earning_lines l"
            " JOIN participants p ON p.id = l.participant_id"
            " WHERE p.external_id = 'rep-1' AND l.period = '2026-Q2'"
        )
    assert owed == 11000
