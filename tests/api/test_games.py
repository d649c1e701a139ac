"""Contests through the API: managers run them, everyone reads the boards they may see."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.auth import principals
from incentives.db.connection import driver_transaction
from incentives.games import contests
from incentives.ingest.service import ingest
from tests.api.conftest import Client, post_deal
from tests.games.conftest import deal, floor  # noqa: F401 - the fixture

MARCH_20 = dt.date(2026, 3, 20)
BLITZ: dict[str, Any] = {
    "key": "blitz",
    "name": "March blitz",
    "window": {"from": "2026-03-01", "to": "2026-03-31"},
    "currency": "USD",
    "participants": {"teams": ["east", "west"]},
    "score": {
        "type": "total",
        "source": "deals",
        "aggregate": "sum",
        "where": {"field": "product", "equals": "Platform"},
    },
    "prizes": [{"rank": 1, "cash": "500", "badge": "blitz-winner", "points": 100}],
}
Headers = dict[str, dict[str, str]]


@pytest.fixture
def on_march_20(monkeypatch: pytest.MonkeyPatch) -> None:
    """The API's clock reads 2026-03-20 (the floor's deals are in March 2026)."""
    for module in ("incentives.api.games", "incentives.api.routes"):
        monkeypatch.setattr(f"{module}.today", lambda: MARCH_20)


@pytest.fixture
async def tokens(db: AsyncEngine, floor: None) -> Headers:  # noqa: F811 - the fixture
    """ana and cy as reps; max, who manages the floor, and mia (nobody) managers; finance;
    integration."""
    async with driver_transaction(db) as conn:
        await ingest(
            conn,
            "participants",
            [
                {"external_id": "max", "name": "Max", "currency": "USD"},
                {"external_id": "mia", "name": "Mia", "currency": "USD"},
            ],
            CLI_ACTOR,
        )
        await ingest(
            conn,
            "assignments",
            [
                {"participant": p, "manager": "max", "team": team, "valid_from": "2025-01-01"}
                for p, team in (("ana", "east"), ("bo", "east"), ("cy", "west"))
            ],
            CLI_ACTOR,
        )
        headers: Headers = {}
        for name, role, who in [
            ("ana", "rep", "ana"),
            ("cy", "rep", "cy"),
            ("max", "manager", "max"),
            ("mia", "manager", "mia"),
            ("finance", "finance", None),
            ("integration", "integration", None),
        ]:
            _, token = await principals.create(
                conn, name=name, role=role, participant=who, actor=CLI_ACTOR
            )
            headers[name] = {"Authorization": f"Bearer {token}"}
    return headers


async def live(client: Client, tokens: Headers, body: dict[str, Any], who: str = "max") -> None:
    created = await client.post("/api/v1/contests", json=body, headers=tokens[who])
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "draft"
    scheduled = await client.post(f"/api/v1/contests/{body['key']}/schedule", headers=tokens[who])
    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json()["status"] == "live"


def places(board: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(r["rank"], r["subject"], r.get("score"), r.get("of_target")) for r in board["rows"]]


@pytest.mark.usefixtures("on_march_20")
async def test_an_individual_contest_and_its_board(client: Client, tokens: Headers) -> None:
    await live(client, tokens, BLITZ)
    got = await client.get("/api/v1/contests/blitz/leaderboard", headers=tokens["ana"])
    assert got.status_code == 200, got.text
    board = got.json()
    # A rep sees everyone's place, but only their own score: the others' are their pay.
    assert places(board) == [
        (1, "ana", "2500.00", None),
        (2, "bo", None, None),
        (3, "cy", None, None),
    ]
    everyone = await client.get("/api/v1/contests/blitz/leaderboard", headers=tokens["max"])
    assert places(everyone.json()) == [
        (1, "ana", "2500.00", None),
        (2, "bo", "2200.00", None),  # 2,000 EUR at 1.1
        (3, "cy", "1500.00", None),  # half of D-4
    ]
    assert board["unit"] == "USD" and board["subjects"] == 3
    assert board["me"]["subject"] == "ana" and board["me"]["movement"] == 0
    paged = await client.get(
        "/api/v1/contests/blitz/leaderboard?limit=1&offset=2", headers=tokens["cy"]
    )
    assert places(paged.json()) == [(3, "cy", "1500.00", None)]


@pytest.mark.usefixtures("on_march_20")
async def test_a_team_contest_with_a_handicap(client: Client, tokens: Headers) -> None:
    body = {
        **BLITZ,
        "key": "teams",
        "scope": "teams",
        "ranking": {
            "basis": "percent_of_target",
            "target": {"measure": "bookings", "period": "2026-Q1"},
        },
        "prizes": [],
    }
    await live(client, tokens, body)
    board = (await client.get("/api/v1/contests/teams/leaderboard", headers=tokens["cy"])).json()
    # Targets are Q1 quotas prorated to March (31 of 90 days): east 14,000 × 31/90 =
    # 4,822.22 for 4,700 of bookings (97.47%); west 2,000 × 31/90 = 688.89 for 1,500.
    # cy sees their own team's figures (they are its only member), east's percent only.
    assert places(board) == [(1, "west", "1500.00", "2.1774"), (2, "east", None, "0.9747")]
    assert [(r.get("target"), r["members"]) for r in board["rows"]] == [("688.89", 1), (None, 2)]
    assert board["me"]["subject"] == "west"
    whole = (await client.get("/api/v1/contests/teams/leaderboard", headers=tokens["max"])).json()
    assert places(whole) == [(1, "west", "1500.00", "2.1774"), (2, "east", "4700.00", "0.9747")]
    assert [r["target"] for r in whole["rows"]] == ["688.89", "4822.22"]


@pytest.mark.usefixtures("on_march_20")
async def test_a_bad_contest_is_refused_naming_each_field(client: Client, tokens: Headers) -> None:
    body = {**BLITZ, "window": {"from": "2026-03-31", "to": "2026-03-01"}, "scope": "squads"}
    refused = await client.post("/api/v1/contests", json=body, headers=tokens["max"])
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["errors"] == [
        {"field": "scope", "message": "must be one of: individuals, teams (got 'squads')"}
    ]
    body = {**BLITZ, "window": {"from": "2026-03-31", "to": "2026-03-01"}}
    refused = await client.post("/api/v1/contests", json=body, headers=tokens["max"])
    assert refused.json()["errors"] == [{"field": "window.to", "message": "ends before it starts"}]
    listed = await client.get("/api/v1/contests", headers=tokens["finance"])
    assert listed.json() == []  # nothing half-written


@pytest.mark.usefixtures("on_march_20")
async def test_reached_by_must_be_event_or_received_and_only_for_first_to_reach(
    client: Client, tokens: Headers
) -> None:
    body = {**BLITZ, "ranking": {"reached_by": "arrival"}}
    refused = await client.post("/api/v1/contests", json=body, headers=tokens["max"])
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "ranking.reached_by",
            "message": "must be one of: event, received (got 'arrival')",
        }
    ]
    body = {**BLITZ, "ranking": {"tie_break": "shared", "reached_by": "event"}}
    refused = await client.post("/api/v1/contests", json=body, headers=tokens["max"])
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "ranking.reached_by",
            "message": "only with tie_break: first_to_reach; shared ranks do not use it",
        }
    ]


@pytest.mark.usefixtures("on_march_20")
async def test_one_batch_of_equal_scores_is_1st_and_2nd_and_a_backfill_wins_by_event(
    client: Client, tokens: Headers
) -> None:
    await live(client, tokens, BLITZ)
    await live(client, tokens, {**BLITZ, "key": "by-event", "ranking": {"reached_by": "event"}})
    # bo reaches ana's 2,500 with a deal closed on 2026-03-02 but sent only now, in one
    # batch with cy's, which brings cy level too.
    batch = [deal("D-9", "bo", "300", "2026-03-02"), deal("D-7", "cy", "1000", "2026-03-20")]
    pushed = await client.post(
        "/api/v1/ingest/deals", json={"items": batch}, headers=tokens["integration"]
    )
    assert pushed.status_code == 200, pushed.text
    received = await client.get("/api/v1/contests/blitz/leaderboard", headers=tokens["max"])
    # On arrival: ana first (earlier), then the batch by its deals' ids, D-7 before D-9.
    assert places(received.json()) == [
        (1, "ana", "2500.00", None),
        (2, "cy", "2500.00", None),
        (3, "bo", "2500.00", None),
    ]
    by_event = await client.get("/api/v1/contests/by-event/leaderboard", headers=tokens["max"])
    # By close date: bo complete on 2026-03-10 (D-3), ana on 03-12 (D-4), cy on 03-20.
    assert places(by_event.json()) == [
        (1, "bo", "2500.00", None),
        (2, "ana", "2500.00", None),
        (3, "cy", "2500.00", None),
    ]


@pytest.mark.usefixtures("on_march_20")
async def test_a_rep_can_neither_create_nor_see_a_test_mode_contest(
    client: Client, tokens: Headers
) -> None:
    denied = await client.post("/api/v1/contests", json=BLITZ, headers=tokens["ana"])
    assert denied.status_code == 403
    await live(client, tokens, {**BLITZ, "visibility": "test"})
    for path in ("", "/leaderboard", "/leaderboard/stream"):
        hidden = await client.get(f"/api/v1/contests/blitz{path}", headers=tokens["ana"])
        assert hidden.status_code == 404, path
    assert (await client.get("/api/v1/contests", headers=tokens["ana"])).json() == []
    # Another manager does not see it either; its own manager and finance do.
    assert (await client.get("/api/v1/contests/blitz", headers=tokens["mia"])).status_code == 404
    for who in ("max", "finance"):
        seen = await client.get("/api/v1/contests/blitz/leaderboard", headers=tokens[who])
        assert seen.status_code == 200 and len(seen.json()["rows"]) == 3


@pytest.mark.usefixtures("on_march_20")
async def test_managers_edit_clone_and_cancel(client: Client, tokens: Headers) -> None:
    created = await client.post("/api/v1/contests", json=BLITZ, headers=tokens["max"])
    contest_id = created.json()["id"]
    # A draft is not shown to reps; another manager sees it but may not change it.
    assert (await client.get("/api/v1/contests/blitz", headers=tokens["ana"])).status_code == 404
    foreign = await client.put("/api/v1/contests/blitz", json=BLITZ, headers=tokens["mia"])
    assert foreign.status_code == 403
    edited = await client.put(
        f"/api/v1/contests/{contest_id}",
        json={**BLITZ, "name": "Spring blitz"},
        headers=tokens["max"],
    )
    assert edited.status_code == 200 and edited.json()["revision"] == 2
    renamed = await client.put(
        "/api/v1/contests/blitz", json={**BLITZ, "key": "other"}, headers=tokens["max"]
    )
    assert renamed.status_code == 422
    await client.post("/api/v1/contests/blitz/schedule", headers=tokens["max"])
    late = await client.put("/api/v1/contests/blitz", json=BLITZ, headers=tokens["max"])
    assert late.status_code == 409  # live: no more edits
    # Another manager may not copy it as theirs: it covers people outside mia's line.
    foreign_copy = await client.post(
        "/api/v1/contests/blitz/clone", json={"name": "April blitz"}, headers=tokens["mia"]
    )
    assert foreign_copy.status_code == 422
    assert [e["field"] for e in foreign_copy.json()["errors"]] == ["participants.teams"]
    copy = await client.post(
        "/api/v1/contests/blitz/clone", json={"name": "April blitz"}, headers=tokens["max"]
    )
    assert copy.status_code == 201, copy.text
    assert (copy.json()["key"], copy.json()["name"], copy.json()["status"]) == (
        "blitz-copy",
        "April blitz",
        "draft",
    )
    cancelled = await client.post("/api/v1/contests/blitz/cancel", headers=tokens["max"])
    assert cancelled.json()["status"] == "cancelled"
    participation = await client.get("/api/v1/contests/blitz/participants", headers=tokens["max"])
    assert [(p["participant"], p["team"], p["score"]) for p in participation.json()] == [
        ("ana", "east", "2500.00"),
        ("bo", "east", "2200.00"),
        ("cy", "west", "1500.00"),
    ]


@pytest.mark.usefixtures("on_march_20")
async def test_a_deal_moves_the_board_and_frozen_results_stay(
    db: AsyncEngine, client: Client, tokens: Headers
) -> None:
    await live(client, tokens, BLITZ)
    await post_deal(
        client, tokens["integration"], "D-9", "cy", "1200", "2026-03-20", product="Platform"
    )
    board = (await client.get("/api/v1/contests/blitz/leaderboard", headers=tokens["max"])).json()
    assert places(board) == [
        (1, "cy", "2700.00", None),
        (2, "ana", "2500.00", None),
        (3, "bo", "2200.00", None),
    ]
    mine = (await client.get("/api/v1/contests/blitz/leaderboard", headers=tokens["cy"])).json()
    assert mine["me"]["movement"] == 2  # from third at the day's start to first
    # The window ends; the next day the scheduler freezes the standings and awards.
    await contests.advance(db, dt.date(2026, 4, 1), CLI_ACTOR)
    # A change to a March deal after the end changes nothing on the frozen board.
    edited = await post_deal(
        client, tokens["integration"], "D-9", "cy", "100", "2026-03-20", product="Platform"
    )
    assert edited["updated"] == 1
    after = (await client.get("/api/v1/contests/blitz/leaderboard", headers=tokens["max"])).json()
    assert after["status"] == "awarded"
    assert places(after) == places(board)


PLAN = """
kind: commission
key: flat
version: 1
name: Flat ten percent
effective: {from: 2026-01-01, to: 2026-12-31}
payout_currency: USD
period: quarter
measures:
  - {key: bookings, name: Bookings, source: deals, aggregate: sum, quota: true}
components:
  - {key: commission, name: Commission, type: rate, measure: bookings, rate: 10%}
"""


@pytest.mark.usefixtures("on_march_20")
async def test_a_cash_prize_is_a_spiff_line_on_the_winners_next_statement(
    db: AsyncEngine, client: Client, tokens: Headers
) -> None:
    published = await client.post("/api/v1/plans", json={"source": PLAN}, headers=tokens["finance"])
    assert published.status_code == 201
    on_plan = [
        {"plan": "flat", "participant": p, "valid_from": "2026-01-01", "currency": "USD"}
        for p in ("ana", "bo", "cy")
    ]
    pushed = await client.post(
        "/api/v1/ingest/plan_assignments", json={"items": on_plan}, headers=tokens["integration"]
    )
    assert pushed.status_code == 200
    run = await client.post(
        "/api/v1/calc-runs", json={"period": "2026-Q1"}, headers=tokens["finance"]
    )
    assert run.json()["status"] == "succeeded"
    await live(client, tokens, BLITZ)
    # April 1st: the contest ends and ana, first, wins 500 USD, 100 points and a badge.
    assert (await contests.advance(db, dt.date(2026, 4, 1), CLI_ACTOR))["awarded"] == ["blitz"]
    closed = await client.post("/api/v1/periods/2026-Q1/close", headers=tokens["finance"])
    assert closed.status_code == 200, closed.text
    listed = await client.get(
        "/api/v1/statements?period=2026-Q1&participant=ana", headers=tokens["finance"]
    )
    [summary] = listed.json()
    statement = (
        await client.get(f"/api/v1/statements/{summary['id']}", headers=tokens["ana"])
    ).json()
    # 10% of ana's 3,000 of Q1 bookings (D-1, D-2 and half of D-4), then the prize.
    assert [(line["kind"], line["name"], line["amount"]) for line in statement["lines"]] == [
        ("earning", "Commission", "300.00"),
        ("spiff", "March blitz: 1st place", "500.00"),
    ]
    assert statement["subtotals"] == {"earning": "300.00", "spiff": "500.00"}
    assert statement["total"] == "800.00"
    prize = statement["lines"][1]["trace"]
    assert (prize["kind"], prize["contest"], prize["rank"], prize["note"]) == (
        "contest_prize",
        "blitz",
        1,
        "March blitz: 1st place",
    )
    mine = (await client.get("/api/v1/me/achievements", headers=tokens["ana"])).json()
    assert (mine["points"], mine["badges"]) == (100, ["blitz-winner"])
    # Awarding again (a second scheduler firing) pays nothing twice.
    assert (await contests.advance(db, dt.date(2026, 4, 2), CLI_ACTOR))["awarded"] == []
    async with driver_transaction(db) as conn:
        assert await conn.fetchval("SELECT count(*) FROM prize_payouts") == 1


async def test_period_leaderboards_show_reps_names_and_ranks_not_pay(
    client: Client, world: Headers
) -> None:
    async def board(who: str, by: str) -> list[tuple[Any, ...]]:
        got = await client.get(
            f"/api/v1/leaderboards?measure=bookings&period=2026-Q1&by={by}", headers=world[who]
        )
        assert got.status_code == 200, got.text
        return [
            (r["rank"], r["participant"], r["value"], r["attainment"]) for r in got.json()["rows"]
        ]

    # Bookings: rep-1 12,345.67 + half of 1,000; rep-3 999.99; rep-2 the other half.
    assert await board("finance", "value") == [
        (1, "rep-1", "12845.67", "0.1285"),
        (2, "rep-3", "999.99", None),
        (3, "rep-2", "500.00", None),
    ]
    # Only rep-1 has a quota: the others have no attainment and share the last rank.
    assert [row[:2] for row in await board("finance", "attainment")] == [
        (1, "rep-1"),
        (2, "rep-2"),
        (2, "rep-3"),
    ]
    # A rep sees everyone's name and rank but only their own figures; a manager their line's.
    assert await board("rep", "value") == [
        (1, "rep-1", "12845.67", "0.1285"),
        (2, "rep-3", None, None),
        (3, "rep-2", None, None),
    ]
    assert [row[2] for row in await board("manager", "value")] == ["12845.67", None, "500.00"]
