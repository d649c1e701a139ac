"""The batch ingest endpoint: counts, idempotency, whole-batch rejection naming fields."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.bounds import Amount
from tests.api.conftest import Client


def _deals(n: int, **overrides: Any) -> list[dict[str, Any]]:
    return [
        {
            "external_id": f"D-{i}",
            "owner": "rep-1",
            "amount": f"{1000 + i}.25",
            "currency": "USD",
            "close_date": "2026-03-01",
            "status": "won",
        }
        | overrides
        for i in range(n)
    ]


async def test_batch_counts_and_replay(client: Client, auth: dict[str, dict[str, str]]) -> None:
    url, headers = "/api/v1/ingest/deals", auth["integration"]
    first = await client.post(url, json={"items": _deals(3)}, headers=headers)
    assert first.status_code == 200
    assert first.json() | {"audit_id": 0} == {
        "kind": "deals",
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "audit_id": 0,
        "warnings": [],
    }
    replay = await client.post(url, json={"items": _deals(3)}, headers=headers)
    assert replay.json() == {
        "kind": "deals",
        "created": 0,
        "updated": 0,
        "unchanged": 3,
        "audit_id": None,
        "warnings": [],
    }
    changed = _deals(3)
    changed[1]["status"] = "cancelled"
    changed[1]["cancel_date"] = "2026-04-02"
    update = await client.post(url, json={"items": changed}, headers=headers)
    assert (update.json()["updated"], update.json()["unchanged"]) == (1, 2)


async def test_a_bad_item_rejects_the_batch_with_422_naming_it(
    db: AsyncEngine, client: Client, auth: dict[str, dict[str, str]]
) -> None:
    items = _deals(4)
    items[2]["amount"] = "abc"
    response = await client.post(
        "/api/v1/ingest/deals", json={"items": items}, headers=auth["admin"]
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"] == [
        {"field": "amount", "message": Amount.rule(), "item": 2, "key": "D-2"}
    ]
    items[2]["amount"] = "5"
    items[3]["splits"] = [
        {"participant": "rep-1", "percent": 70},
        {"participant": "mgr-1", "percent": 20},
    ]
    items[0]["currency"] = "usd"
    response = await client.post(
        "/api/v1/ingest/deals", json={"items": items}, headers=auth["admin"]
    )
    assert response.status_code == 422
    assert [(e["item"], e["field"]) for e in response.json()["errors"]] == [(0, "currency")]
    async with db.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM deals"))).scalar() == 0


async def test_malformed_bodies_get_4xx_naming_the_field(
    client: Client, auth: dict[str, dict[str, str]]
) -> None:
    headers = auth["admin"]
    empty = await client.post("/api/v1/ingest/deals", json={"items": []}, headers=headers)
    assert empty.status_code == 400
    assert empty.json()["errors"][0]["field"] == "items"
    too_many = await client.post(
        "/api/v1/ingest/deals", json={"items": [{}] * 10_001}, headers=headers
    )
    assert too_many.status_code == 400
    assert too_many.json()["errors"][0]["field"] == "items"
    # The kinds are a vocabulary in the schema: another is refused by name.
    unknown = await client.post("/api/v1/ingest/widgets", json={"items": [{}]}, headers=headers)
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["field"] == "kind"


async def test_an_api_ingest_is_audited_with_the_principal(
    db: AsyncEngine, client: Client, auth: dict[str, dict[str, str]]
) -> None:
    await client.post("/api/v1/ingest/deals", json={"items": _deals(2)}, headers=auth["admin"])
    async with db.connect() as conn:
        entry = (
            await conn.execute(
                text(
                    "SELECT actor, channel, action, entity, after FROM audit_log"
                    " WHERE entity = 'deals'"
                )
            )
        ).one()
    assert entry[:4] == ("test admin", "api", "ingest", "deals")
    assert entry[4]["created"] == ["D-0", "D-1"]
