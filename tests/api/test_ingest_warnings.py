"""Ingest warns about values that only nearly match what the plans in force name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.conftest import Client, Headers

AE_PLAN = Path("plans/account-executive.yaml").read_text()
SDR_PLAN = Path("plans/sdr.yaml").read_text()
BLITZ = Path("plans/contest-march-blitz.yaml").read_text()


async def _publish(client: Client, auth: Headers) -> None:
    published = await client.post(
        "/api/v1/plans", json={"source": AE_PLAN}, headers=auth["finance"]
    )
    assert published.status_code == 201, published.text


def _deal(key: str, **more: Any) -> dict[str, Any]:
    return {
        "external_id": key,
        "owner": "rep-1",
        "amount": "1000",
        "currency": "USD",
        "close_date": "2026-03-01",
        "status": "won",
    } | more


async def _ingest(client: Client, auth: Headers, *deals: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/ingest/deals", json={"items": list(deals)}, headers=auth["integration"]
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_product_differing_in_case_warns_and_is_stored(
    db: AsyncEngine, client: Client, auth: Headers
) -> None:
    await _publish(client, auth)
    body = await _ingest(
        client, auth, _deal("D-1", product="Platform"), _deal("D-2", product="platform")
    )
    assert body["created"] == 2
    assert body["warnings"] == [
        {
            "item": 1,
            "key": "D-2",
            "field": "product",
            "value": "platform",
            "known": ["Analytics", "Platform"],
            "reason": "near_value",
            "message": "'platform' matches no plan exactly; plans name 'Platform'",
        }
    ]
    async with db.connect() as conn:
        stored = await conn.scalar(text("SELECT product FROM deals WHERE external_id = 'D-2'"))
    assert stored == "platform"


async def test_an_attribute_value_differing_in_spacing_warns(client: Client, auth: Headers) -> None:
    await _publish(client, auth)
    body = await _ingest(client, auth, _deal("D-1", attributes={"deal_type": "new business"}))
    [warning] = body["warnings"]
    assert (warning["field"], warning["value"], warning["known"]) == (
        "attributes.deal_type",
        "new business",
        ["new_business"],
    )


async def test_a_misspelt_attribute_key_warns(client: Client, auth: Headers) -> None:
    await _publish(client, auth)
    body = await _ingest(
        client,
        auth,
        _deal("D-1", attributes={"type": "new_business"}),
        _deal("D-2", attributes={"Deal_Type": "new_business"}),
    )
    assert [
        (w["item"], w["key"], w["field"], w["value"], w["reason"]) for w in body["warnings"]
    ] == [
        (0, "D-1", "attributes", "type", "near_key"),
        (1, "D-2", "attributes", "Deal_Type", "near_key"),
    ]
    assert all(w["known"] == ["deal_type"] for w in body["warnings"])


async def test_exact_and_unrelated_values_give_no_warning(client: Client, auth: Headers) -> None:
    await _publish(client, auth)
    body = await _ingest(
        client,
        auth,
        _deal("D-1", product="Platform", attributes={"deal_type": "new_business"}),
        # Unknown, but near nothing the plans name: not worth a warning.
        _deal("D-2", product="Services", attributes={"region": "EMEA", "deal_type": "renewal"}),
    )
    assert body["warnings"] == []


async def test_no_warning_outside_the_plans_dates(client: Client, auth: Headers) -> None:
    await _publish(client, auth)
    body = await _ingest(client, auth, _deal("D-1", product="platform", close_date="2025-06-01"))
    assert body["warnings"] == []


async def test_an_activity_type_differing_in_case_warns(client: Client, auth: Headers) -> None:
    published = await client.post(
        "/api/v1/plans", json={"source": SDR_PLAN}, headers=auth["finance"]
    )
    assert published.status_code == 201, published.text
    activity = {"participant": "rep-1", "occurred_at": "2026-03-02T10:00:00+00:00"}
    response = await client.post(
        "/api/v1/ingest/activities",
        json={
            "items": [
                activity | {"external_id": "A-1", "type": "meeting_held"},
                activity | {"external_id": "A-2", "type": "Meeting Held"},
                activity | {"external_id": "A-3", "type": "email"},  # unknown, near nothing
            ]
        },
        headers=auth["integration"],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["created"] == 3
    assert [
        (w["item"], w["key"], w["field"], w["value"], w["known"]) for w in body["warnings"]
    ] == [(1, "A-2", "type", "Meeting Held", ["call", "meeting_held"])]


async def test_a_running_contest_names_values_too(client: Client, auth: Headers) -> None:
    # No commission plan names Services; the March contest scores it.
    contest = BLITZ.replace("where: {field: product, in: [Platform, Analytics]}", "")
    contest = contest.replace(
        "aggregate: sum", "aggregate: sum\n  where: {field: product, equals: Services}"
    )
    published = await client.post(
        "/api/v1/plans", json={"source": contest}, headers=auth["finance"]
    )
    assert published.status_code == 201, published.text
    body = await _ingest(
        client,
        auth,
        _deal("D-1", product="services", close_date="2026-03-10"),
        _deal("D-2", product="services", close_date="2026-04-10"),  # after the contest
    )
    assert [(w["item"], w["field"], w["value"], w["known"]) for w in body["warnings"]] == [
        (0, "product", "services", ["Services"])
    ]
