"""Plans published through the API, runs, and what reps, managers and finance read.

A 10% flat plan on won bookings keeps every amount checkable by hand.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.calc import incremental
from incentives.db.connection import driver_transaction
from incentives.ingest.touched import Touched
from incentives.plans.publish import publish
from tests.api.conftest import FLAT, Client, Headers, post_deal


async def test_a_rep_sees_their_earnings_to_the_cent(client: Client, world: Headers) -> None:
    # 10% of 12,345.67 + 50% of 1,000 = 1,234.567 + 50 = 1,284.567 -> 1,284.57 (half up).
    earnings = await client.get("/api/v1/me/earnings?period=2026-Q1", headers=world["rep"])
    assert earnings.status_code == 200
    [line] = earnings.json()
    assert (line["id"], line["amount"], line["currency"]) == ("flat:2026-Q1:1", "1284.57", "USD")
    attainment = await client.get("/api/v1/me/attainment?period=2026-Q1", headers=world["rep"])
    [measure] = attainment.json()
    # 12,845.67 of a 100,000 quota, both to the cent, in the result's currency.
    assert (measure["value"], measure["quota"], measure["attainment"]) == (
        "12845.67",
        "100000.00",
        "0.1285",
    )
    assert (measure["unit"], measure["currency"]) == ("money", "USD")
    statements = await client.get("/api/v1/me/statements", headers=world["rep"])
    assert [(s["period"], s["total"], s["status"]) for s in statements.json()] == [
        ("2026-Q1", "1284.57", "estimate")
    ]
    explained = await client.get("/api/v1/me/earnings/flat:2026-Q1:1/explain", headers=world["rep"])
    assert explained.status_code == 200
    body = explained.json()
    assert [(d["deal"], d["source"], d["credited"]) for d in body["deals"]] == [
        ("D-1", "owner", "12345.67"),
        ("D-2", "split", "500"),
    ]
    assert "10%" in body["text"] and "$1,284.57" in body["text"]


async def test_nobody_reads_pay_they_may_not_see(client: Client, world: Headers) -> None:
    for path in ("earnings", "attainment", "statements", "earnings/flat:2026-Q1:1/explain"):
        # A rep asking for a colleague, and a manager outside the line: 404, no leak.
        mine = await client.get(f"/api/v1/participants/rep-2/{path}", headers=world["rep"])
        assert mine.status_code == 404, path
        ghost = await client.get(f"/api/v1/participants/nobody/{path}", headers=world["rep"])
        assert ghost.json()["title"] == mine.json()["title"]
        outside = await client.get(f"/api/v1/participants/rep-3/{path}", headers=world["manager"])
        assert outside.status_code == 404, path
    inside = await client.get("/api/v1/participants/rep-2/earnings", headers=world["manager"])
    assert [line["amount"] for line in inside.json()] == ["50.00"]
    finance = await client.get("/api/v1/participants/rep-3/earnings", headers=world["finance"])
    assert [line["amount"] for line in finance.json()] == ["100.00"]  # 99.999 rounds up
    team = await client.get(
        "/api/v1/teams/east/attainment?period=2026-Q1", headers=world["manager"]
    )
    assert sorted(m["participant"] for m in team.json()) == ["rep-1", "rep-2"]
    other_team = await client.get("/api/v1/teams/west/attainment", headers=world["manager"])
    assert other_team.status_code == 404
    rep_runs = await client.post(
        "/api/v1/calc-runs", json={"period": "2026-Q1"}, headers=world["rep"]
    )
    assert rep_runs.status_code == 403


async def test_teams_lists_only_the_teams_whose_pay_the_caller_may_see(
    client: Client, world: Headers
) -> None:
    async def teams(role: str) -> list[tuple[str, int]]:
        listed = await client.get("/api/v1/teams", headers=world[role])
        assert listed.status_code == 200, listed.text
        return [(t["id"], t["members"]) for t in listed.json()]

    # mgr-1's line is rep-1 and rep-2 in east; finance sees both teams whole.
    assert await teams("manager") == [("east", 2)]
    assert await teams("finance") == [("east", 2), ("west", 1)]
    assert await teams("rep") == [("east", 1)]
    assert await teams("integration") == []
    assert (await client.get("/api/v1/teams")).status_code == 401


async def test_an_ingested_deal_is_recomputed_and_matches_a_full_run(
    db: AsyncEngine, client: Client, world: Headers
) -> None:
    await post_deal(client, world["integration"], "D-5", "rep-2", "2000", "2026-03-01")
    # rep-2 earns 50 (half of D-2) + 200 (D-5), readable as soon as the response is done.
    incremental = await _snapshot(db)
    assert incremental["rep-2"] == 25000
    full = await client.post("/api/v1/calc-runs", json={"period": "2026"}, headers=world["finance"])
    assert full.json()["status"] == "succeeded"
    assert await _snapshot(db) == incremental
    async with db.connect() as conn:
        runs = (
            await conn.execute(
                text(
                    "SELECT r.trigger, r.scope->>'period',"
                    " array_agg(p.external_id ORDER BY p.external_id)"
                    " FROM calc_runs r LEFT JOIN participants p"
                    " ON r.scope->'participants' @> to_jsonb(p.id)"
                    " GROUP BY r.id ORDER BY r.id"
                )
            )
        ).all()
    # The deal's owner is recomputed first, then the managers above; full runs have no list.
    # The flat plan carries nothing from one quarter to the next: only the deal's quarter.
    assert [tuple(run) for run in runs] == [
        ("api", "2026-Q1", [None]),
        ("ingest", "2026-Q1", ["rep-2"]),
        ("ingest", "2026-Q1", ["mgr-1"]),
        ("api", "2026", [None]),
    ]


async def test_a_change_is_recomputed_over_its_quarter_only_while_that_is_safe(
    db: AsyncEngine, world: Headers
) -> None:
    async with driver_transaction(db) as conn:
        ids = {
            r["external_id"]: r["id"]
            for r in await conn.fetch("SELECT id, external_id FROM participants")
        }
        rep_1, rep_2 = ids["rep-1"], ids["rep-2"]

        async def scopes(
            on_dates: set[tuple[int, dt.date]], in_periods: set[tuple[int, str]]
        ) -> dict[str, set[int]]:
            touched = Touched()
            touched.on_dates, touched.in_periods = on_dates, in_periods
            return await incremental.scopes(conn, touched)

        q1, q3 = dt.date(2026, 2, 1), dt.date(2026, 8, 1)
        both = {(rep_1, q1), (rep_2, q3)}
        assert await scopes(both, set()) == {"2026-Q1": {rep_1}, "2026-Q3": {rep_2}}
        # A deal closed in one quarter and cancelled in another, or a quota: the year.
        assert await scopes({(rep_1, q1), (rep_1, q3)}, set()) == {"2026": {rep_1}}
        assert await scopes(set(), {(rep_2, "2026-Q1")}) == {"2026": {rep_2}}
        # A closed quarter's change is paid in the first open period: the year reaches it.
        await conn.execute("UPDATE periods SET status = 'closed' WHERE label = '2026-Q1'")
        assert await scopes(both, set()) == {"2026": {rep_1}, "2026-Q3": {rep_2}}
    async with driver_transaction(db) as conn:
        # A plan with a draw carries one quarter's pay into the next: the year, for everyone.
        with_draw = (
            FLAT.replace("key: flat", "key: flat-draw") + "draw: {amount: 500, recoverable: true}\n"
        )
        await publish(conn, with_draw, "flat-draw.yaml", CLI_ACTOR)
        assert await scopes(both, set()) == {"2026": {rep_1, rep_2}}


async def _snapshot(db: AsyncEngine) -> dict[str, Any]:
    async with db.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT p.external_id, sum(r.total_minor) FROM participant_results r"
                " JOIN participants p ON p.id = r.participant_id GROUP BY 1"
            )
        )
        return {key: int(total) for key, total in rows}


async def test_the_estimator_prices_hypothetical_deals_and_stores_nothing(
    db: AsyncEngine, client: Client, world: Headers
) -> None:
    body = {"deals": [{"amount": "5000.05", "close_date": "2026-03-15"}]}
    estimate = await client.post("/api/v1/me/estimate", json=body, headers=world["rep"])
    assert estimate.status_code == 200, estimate.text
    q1 = next(p for p in estimate.json()["periods"] if p["period"] == "2026-Q1")
    # 10% of 17,845.72 = 1,784.572 -> 1,784.57; the difference is 500.00.
    assert (q1["current"], q1["with_deals"], q1["difference"]) == ("1284.57", "1784.57", "500.00")
    assert await _snapshot(db) == {"rep-1": 128457, "rep-2": 5000, "rep-3": 10000}
    bad = await client.post(
        "/api/v1/me/estimate",
        json={"deals": [{"amount": "-1", "close_date": "2026-03-15"}]},
        headers=world["rep"],
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == [{"field": "deals[0].amount", "message": "must be above zero"}]


async def test_a_mid_quarter_plan_change_prorates_each_plan(
    db: AsyncEngine, client: Client, world: Headers
) -> None:
    # rep-2 leaves the flat plan on Feb 14 and is paid under a 20% plan from Feb 15.
    twenty = FLAT.replace("key: flat", "key: twenty").replace("rate: 10%", "rate: 20%")
    published = await client.post(
        "/api/v1/plans", json={"source": twenty}, headers=world["finance"]
    )
    assert published.status_code == 201
    moves = [
        {
            "plan": "flat",
            "participant": "rep-2",
            "valid_from": "2026-01-01",
            "valid_to": "2026-02-14",
            "currency": "USD",
        },
        {"plan": "twenty", "participant": "rep-2", "valid_from": "2026-02-15", "currency": "USD"},
    ]
    quotas = [
        {"participant": "rep-2", "period": "2026-Q1", "measure": "bookings", "amount": "90000"}
    ]
    deals = [
        {
            "external_id": "D-6",
            "owner": "rep-2",
            "amount": "3000",
            "currency": "USD",
            "close_date": "2026-01-20",
            "status": "won",
        },
        {
            "external_id": "D-7",
            "owner": "rep-2",
            "amount": "4000",
            "currency": "USD",
            "close_date": "2026-03-02",
            "status": "won",
        },
    ]
    for kind, items in (("plan_assignments", moves), ("quotas", quotas), ("deals", deals)):
        response = await client.post(
            f"/api/v1/ingest/{kind}", json={"items": items}, headers=world["integration"]
        )
        assert response.status_code == 200, response.text
    run = await client.post(
        "/api/v1/calc-runs", json={"period": "2026-Q1"}, headers=world["finance"]
    )
    assert run.json()["status"] == "succeeded"
    lines = await client.get(
        "/api/v1/participants/rep-2/earnings?period=2026-Q1", headers=world["finance"]
    )
    # Flat (Jan 1 - Feb 14): D-6 3,000 at 10% = 300.00. Twenty (Feb 15 on): D-7 4,000
    # and half of D-2 (1,000, Mar 31) = 4,500 at 20% = 900.00.
    assert {(x["plan"], x["amount"]) for x in lines.json()} == {
        ("flat", "300.00"),
        ("twenty", "900.00"),
    }
    measures = await client.get(
        "/api/v1/participants/rep-2/attainment?period=2026-Q1", headers=world["finance"]
    )
    # The 90,000 quarterly quota is prorated by the days under each plan: 45 of 90 days
    # (Jan 1 - Feb 14) and 45 of 90 (Feb 15 - Mar 31).
    assert {(m["plan"], m["quota"]) for m in measures.json()} == {
        ("flat", "45000.00"),
        ("twenty", "45000.00"),
    }
