"""Publishing plan versions: immutable, validated with paths, and a dry run that changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.conftest import FLAT, Client, Headers


async def test_versions_are_immutable_and_republishing_is_harmless(
    client: Client, auth: Headers
) -> None:
    url, finance = "/api/v1/plans", auth["finance"]
    first = await client.post(url, json={"source": FLAT}, headers=finance)
    assert first.status_code == 201 and first.json()["version"] == 1
    again = await client.post(url, json={"source": FLAT}, headers=finance)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    edited = FLAT.replace("rate: 10%", "rate: 11%")
    refused = await client.post(url, json={"source": edited}, headers=finance)
    assert refused.status_code == 409
    assert "already published with other content" in refused.json()["title"]
    v2 = await client.post(
        url, json={"source": edited.replace("version: 1", "version: 2")}, headers=finance
    )
    assert v2.status_code == 201
    versions = await client.get("/api/v1/plans/flat/versions", headers=auth["rep"])
    assert [v["version"] for v in versions.json()] == [2, 1]
    assert [p["version"] for p in (await client.get(url, headers=finance)).json()] == [2]
    assert (await client.post(url, json={"source": FLAT}, headers=auth["rep"])).status_code == 403


async def test_a_bad_plan_names_the_file_path_and_problem(client: Client, auth: Headers) -> None:
    bad = FLAT.replace("rate: 10%", "rate: ten").replace("quota: true", "quota: maybe")
    response = await client.post(
        "/api/v1/plans", json={"source": bad, "filename": "flat.yaml"}, headers=auth["finance"]
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert "flat.yaml: components[0].rate" in fields
    assert "flat.yaml: measures[0].quota" in fields
    nothing = await client.get("/api/v1/plans", headers=auth["finance"])
    assert nothing.json() == []


async def test_a_dry_run_shows_each_difference_and_publishes_nothing(
    db: AsyncEngine, client: Client, world: Headers
) -> None:
    auth = world
    proposal = FLAT.replace("rate: 10%", "rate: 12%").replace("version: 1", "version: 2")
    dry = await client.post(
        "/api/v1/plans?dry_run=true", json={"source": proposal}, headers=auth["finance"]
    )
    assert dry.status_code == 200, dry.text
    body = dry.json()
    assert (body["plan"], body["version"], body["current_version"], body["dry_run"]) == (
        "flat",
        2,
        1,
        True,
    )
    by_rep = {
        p["participant"]: (p["current"], p["proposed"], p["difference"])
        for p in body["participants"]
    }
    # rep-1: 12,845.67 of bookings in Q1: 1,284.57 now, 1,541.48 at 12% (1,541.4804).
    assert by_rep["rep-1"] == ("1284.57", "1541.48", "256.91")
    assert by_rep["rep-3"] == ("100.00", "120.00", "20.00")
    async with db.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM plan_versions"))).scalar()
    assert count == 1


async def test_the_database_refuses_to_edit_a_published_version(
    db: AsyncEngine, client: Client, auth: Headers
) -> None:
    await client.post("/api/v1/plans", json={"source": FLAT}, headers=auth["finance"])
    with pytest.raises(DBAPIError, match="immutable"):
        async with db.begin() as conn:
            await conn.execute(text("UPDATE plan_versions SET source = 'kind: commission'"))
