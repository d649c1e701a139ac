"""Activities with free attributes, from ingest through a calculation run, to the cent.

The plan and numbers are those of tests/engine/test_activity_attributes.py: only meetings
with ``outcome: held`` count; January has 4 + 6 = 10 held of a 10 quota (100%):
10 x 50.00 + 1,000.00 bonus = 1,500.00; February has 4 held (40%, under the 50% gate): 0.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.calc.runs import calculate
from incentives.db.connection import driver_transaction
from incentives.ingest.service import ingest
from incentives.periods.store import generate
from incentives.plans.publish import publish
from tests.engine.test_activity_attributes import PLAN


def meeting(key: str, day: str, quantity: int, **attributes: str) -> dict[str, Any]:
    return {
        "external_id": key,
        "participant": "sam",
        "type": "meeting",
        "occurred_at": f"{day}T10:00:00Z",
        "quantity": quantity,
        "attributes": attributes,
    }


async def test_meetings_held_are_paid_from_their_outcome_attribute(db: AsyncEngine) -> None:
    async with driver_transaction(db) as conn:
        await generate(conn, 2026, 1, CLI_ACTOR)
        await publish(conn, PLAN, "sdr-outcomes.yaml", CLI_ACTOR)
        await ingest(
            conn,
            "participants",
            [{"external_id": "sam", "name": "Sam", "currency": "USD", "start_date": "2025-06-01"}],
            CLI_ACTOR,
        )
        await ingest(
            conn,
            "plan_assignments",
            [
                {
                    "plan": "sdr-outcomes",
                    "participant": "sam",
                    "valid_from": "2026-01-01",
                    "currency": "USD",
                }
            ],
            CLI_ACTOR,
        )
        await ingest(
            conn,
            "quotas",
            [
                {"participant": "sam", "period": month, "measure": "meetings_held", "amount": "10"}
                for month in ("2026-01", "2026-02")
            ],
            CLI_ACTOR,
        )
        await ingest(
            conn,
            "activities",
            [
                meeting("M1", "2026-01-05", 4, outcome="held"),
                meeting("M2", "2026-01-12", 3, outcome="no_show"),
                meeting("M3", "2026-01-19", 6, outcome="held"),
                meeting("M4", "2026-01-26", 2),
                meeting("M5", "2026-02-09", 4, outcome="held"),
                meeting("M6", "2026-02-16", 8, outcome="no_show"),
            ],
            CLI_ACTOR,
        )
    run = await calculate(db, period="2026-Q1", trigger="cli", actor=CLI_ACTOR)
    assert run.status == "succeeded"
    async with db.connect() as conn:
        lines = (
            await conn.execute(
                text("SELECT period, component, amount_minor FROM earning_lines ORDER BY 1, 2")
            )
        ).all()
        result_rows = await conn.execute(
            text("SELECT period, total_minor FROM participant_results")
        )
        totals: dict[str, int] = {period: total for period, total in result_rows}
    assert [tuple(line) for line in lines] == [
        ("2026-01", "meetings", 50000),
        ("2026-01", "meetings-bonus", 100000),
    ]
    assert totals["2026-01"] == 150000
    assert totals.get("2026-02", 0) == 0
