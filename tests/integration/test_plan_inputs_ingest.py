"""Plan assignments, quotas and FX rates arrive through the same idempotent ingest."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.db.connection import driver_transaction
from incentives.ingest.problems import BatchRejected
from incentives.ingest.service import IngestResult, ingest


async def run(engine: AsyncEngine, kind: str, items: list[dict[str, Any]]) -> IngestResult:
    async with driver_transaction(engine) as conn:
        return await ingest(conn, kind, items, CLI_ACTOR)


@pytest.fixture
async def people(db: AsyncEngine) -> AsyncEngine:
    await run(db, "participants", [{"external_id": "ana", "name": "Ana", "currency": "USD"}])
    await run(
        db, "assignments", [{"participant": "ana", "team": "east", "valid_from": "2026-01-01"}]
    )
    return db


async def test_plan_assignments_for_people_and_teams(people: AsyncEngine) -> None:
    items = [
        {
            "plan": "account-executive",
            "participant": "ana",
            "valid_from": "2026-01-01",
            "valid_to": "2026-06-30",
            "currency": "USD",
            "target_incentive": "60000",
        },
        {
            "plan": "account-executive",
            "team": "east",
            "valid_from": "2026-01-01",
            "currency": "USD",
            "target_incentive": "50000.50",
        },
    ]
    assert (await run(people, "plan_assignments", items)).created == 2
    assert (await run(people, "plan_assignments", items)).unchanged == 2
    async with driver_transaction(people) as conn:
        rows = await conn.fetch(
            "SELECT subject, target_incentive_minor FROM plan_assignments ORDER BY subject"
        )
    assert [tuple(r) for r in rows] == [("participant:ana", 6000000), ("team:east", 5000050)]
    overlapping = {
        "plan": "account-executive",
        "participant": "ana",
        "valid_from": "2026-06-01",
        "currency": "USD",
    }
    with pytest.raises(BatchRejected) as caught:
        await run(people, "plan_assignments", [overlapping])
    assert [(p.field, p.message) for p in caught.value.problems] == [
        ("valid_from", "overlaps the plan assignment from 2026-01-01 to 2026-06-30")
    ]
    both = {
        "plan": "x",
        "participant": "ana",
        "team": "east",
        "valid_from": "2026-01-01",
        "currency": "USD",
    }
    nobody_team = {"plan": "x", "team": "west", "valid_from": "2026-01-01", "currency": "USD"}
    with pytest.raises(BatchRejected) as caught:
        await run(people, "plan_assignments", [both, nobody_team])
    assert [(p.item, p.field) for p in caught.value.problems] == [(0, "participant"), (1, "team")]


async def test_quotas_and_fx_rates(people: AsyncEngine) -> None:
    quotas = [
        {"participant": "ana", "period": f"2026-Q{q}", "measure": "bookings", "amount": "250000"}
        for q in (1, 2, 3, 4)
    ]
    assert (await run(people, "quotas", quotas)).created == 4
    quotas[0]["amount"] = "275000"
    result = await run(people, "quotas", quotas)
    assert (result.updated, result.unchanged) == (1, 3)
    with pytest.raises(BatchRejected) as caught:
        await run(people, "quotas", [quotas[0] | {"period": "2026-Q5"}])
    assert caught.value.problems[0].field == "period"

    rates = [{"currency": "EUR", "to_currency": "USD", "date": "2026-01-01", "rate": "1.0845"}]
    assert (await run(people, "fx_rates", rates)).created == 1
    with pytest.raises(BatchRejected) as caught:
        await run(people, "fx_rates", [rates[0] | {"rate": "0", "to_currency": "EUR"}])
    assert {p.field for p in caught.value.problems} == {"rate", "to_currency"}
