"""Ingesting a hierarchy through the API refuses management cycles with a 422."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.conftest import Client, Headers
from tests.integration.test_hierarchy_cycles import stored


async def test_the_api_refuses_making_the_head_report_to_their_own_report(
    db: AsyncEngine, client: Client, world: Headers
) -> None:
    # mgr-1 heads rep-1 and rep-2; made to report to rep-1, they would manage themselves.
    looped = {"participant": "mgr-1", "manager": "rep-1", "valid_from": "2026-02-01"}
    answer = await client.post(
        "/api/v1/ingest/assignments", json={"items": [looped]}, headers=world["integration"]
    )
    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["errors"]
    assert (problem["item"], problem["field"]) == (0, "manager")
    assert problem["message"] == "makes a management cycle: mgr-1 → rep-1 → mgr-1 from 2026-02-01"
    assert await stored(db) == (3, 2)
