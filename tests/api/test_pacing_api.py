"""Pacing, the estimator's choices and the team's at-risk figures as the API gives them,
on the world of tests/api/conftest.py (a 10% flat plan; 2026-Q1 is over)."""

from __future__ import annotations

from tests.api.conftest import Client, Headers


async def test_a_rep_reads_their_pacing_to_the_cent(client: Client, world: Headers) -> None:
    found = await client.get("/api/v1/me/pacing?period=2026-Q1", headers=world["rep"])
    assert found.status_code == 200
    [pace] = found.json()
    assert (pace["plan"], pace["plan_name"], pace["measure"]) == (
        "flat",
        "Flat ten percent",
        "bookings",
    )
    assert (pace["days"], pace["elapsed"], pace["as_of"]) == (90, 90, "2026-03-31")
    # D-1 (12,345.67) on 10 February, half of D-2 (500) on 31 March; D-4 was lost.
    assert pace["points"] == [
        {"date": "2026-02-10", "value": "12345.67"},
        {"date": "2026-03-31", "value": "12845.67"},
    ]
    assert (pace["value"], pace["quota"], pace["attainment"]) == (
        "12845.67",
        "100000.00",
        "0.1285",
    )
    # The quarter is over: expected is the whole quota, the finish is the value.
    assert (pace["expected_to_date"], pace["projected"]) == ("100000.00", "12845.67")
    assert pace["tiers"] == [] and pace["gate"] is None and pace["signals"] == []


async def test_pacing_is_read_only_by_those_who_may_see_the_pay(
    client: Client, world: Headers
) -> None:
    path = "/api/v1/participants/{}/pacing?period=2026-Q1"
    assert (await client.get(path.format("rep-2"), headers=world["rep"])).status_code == 404
    assert (await client.get(path.format("rep-3"), headers=world["manager"])).status_code == 404
    inside = await client.get(path.format("rep-1"), headers=world["manager"])
    assert [p["value"] for p in inside.json()] == ["12845.67"]
    missing = await client.get("/api/v1/me/pacing", headers=world["rep"])
    assert missing.status_code == 400 and "period" in missing.text


async def test_the_explanation_names_each_deals_product_and_multiplier(
    client: Client, world: Headers
) -> None:
    found = await client.get("/api/v1/me/earnings/flat:2026-Q1:1/explain", headers=world["rep"])
    assert [(d["deal"], d["multiplier"], d["counted"]) for d in found.json()["deals"]] == [
        ("D-1", "1", "12345.67"),
        ("D-2", "1", "500"),
    ]


async def test_the_estimator_offers_products_only_to_people_with_deals(
    client: Client, world: Headers
) -> None:
    rep = await client.get("/api/v1/me/estimate/options", headers=world["rep"])
    assert rep.json() == {"products": [], "currency": "USD", "own_deals": True}
    manager = await client.get("/api/v1/me/estimate/options", headers=world["manager"])
    assert manager.json()["own_deals"] is False


async def test_team_rows_carry_projected_attainment_and_the_at_risk_flag(
    client: Client, world: Headers
) -> None:
    team = await client.get(
        "/api/v1/teams/east/attainment?period=2026-Q1", headers=world["manager"]
    )
    rows = {r["participant"]: r for r in team.json()}
    # A closed quarter projects to where it ended and is no longer "at risk".
    assert (rows["rep-1"]["projected_attainment"], rows["rep-1"]["at_risk"]) == ("0.1285", False)
