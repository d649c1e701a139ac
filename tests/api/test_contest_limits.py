"""Contests leak no figures and pay no money they should not: boards show each reader only
the figures of the pay they may read, a manager's contest stays within their line, and
cash prizes have limits, finance's approval above a threshold, and never go to the
contest's own maker.

The world (tests/api/conftest.py): rep-1 and rep-2 under mgr-1, rep-3 under mgr-2; in 2026
rep-1 has booked 12,845.67 against a Q1 quota of 100,000, rep-3 999.99, rep-2 500.00.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.auth import principals
from incentives.config import load_settings
from incentives.db.connection import driver_transaction
from incentives.games import contests
from tests.api.conftest import IN_LINE, Client, Headers, make_live, post_deal, race
from tests.http import api_client

Figures = dict[str, tuple[Any, ...]]
QUOTA_RACE = race(
    "quota-race",
    "Quota Race",
    ranking={"basis": "percent_of_target", "target": {"measure": "bookings", "period": "2026-Q1"}},
)


async def _other_manager(db: AsyncEngine) -> dict[str, str]:
    """mgr-2's headers: rep-3's manager."""
    async with driver_transaction(db) as conn:
        _, token = await principals.create(
            conn, name="mgr-2", role="manager", participant="mgr-2", actor=CLI_ACTOR
        )
    return {"Authorization": f"Bearer {token}"}


async def _figures(client: Client, headers: dict[str, str]) -> Figures:
    got = await client.get("/api/v1/contests/quota-race/leaderboard", headers=headers)
    assert got.status_code == 200, got.text
    return {
        r["subject"]: (r.get("score"), r.get("target"), r.get("of_target"))
        for r in got.json()["rows"]
    }


async def test_each_reader_sees_only_the_figures_of_pay_they_may_read(
    client: Client, db: AsyncEngine, world: Headers, screen: dict[str, str]
) -> None:
    await make_live(client, db, world["finance"], QUOTA_RACE)
    rep_1 = ("12845.67", "100000.00", "0.1285")
    everyone = {"rep-1": rep_1, "rep-2": ("500.00", None, None), "rep-3": ("999.99", None, None)}
    assert await _figures(client, world["finance"]) == everyone
    assert await _figures(client, screen) == everyone
    hidden = (None, None, None)
    # rep-1 sees their own quota and bookings, nobody else's.
    assert await _figures(client, world["rep"]) == {
        "rep-1": rep_1,
        "rep-2": hidden,
        "rep-3": hidden,
    }
    # mgr-1 sees their line's (rep-1, rep-2), not rep-3's; mgr-2 rep-3's only.
    assert await _figures(client, world["manager"]) == {**everyone, "rep-3": hidden}
    assert await _figures(client, await _other_manager(db)) == {
        "rep-1": (None, None, "0.1285"),
        "rep-2": hidden,
        "rep-3": ("999.99", None, None),
    }


async def test_a_managers_contest_stays_within_their_line(
    client: Client, db: AsyncEngine, world: Headers
) -> None:
    manager = world["manager"]
    # Over everyone, in test mode and ranked on quotas: it would show rep-3's to mgr-1.
    refused = await client.post(
        "/api/v1/contests", json={**QUOTA_RACE, "visibility": "test"}, headers=manager
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "participants.participants",
            "message": "reaches people whose pay you may not read: rep-3;"
            " a manager's contest covers only their reporting line",
        }
    ]
    unnamed = {k: v for k, v in QUOTA_RACE.items() if k != "participants"}
    everybody = await client.post("/api/v1/contests", json=unnamed, headers=manager)
    assert everybody.json()["errors"][0]["field"] == "participants"
    assert "mgr-2, rep-3" in everybody.json()["errors"][0]["message"]
    teams = await client.post(
        "/api/v1/contests",
        json={**QUOTA_RACE, "participants": {"teams": ["west"]}},
        headers=manager,
    )
    assert teams.json()["errors"][0]["field"] == "participants.teams"
    assert (await client.get("/api/v1/contests", headers=world["finance"])).json() == []
    mine = await client.post(
        "/api/v1/contests", json={**QUOTA_RACE, "participants": IN_LINE}, headers=manager
    )
    assert mine.status_code == 201, mine.text
    # Nor may an edit take it beyond.
    edited = await client.put("/api/v1/contests/quota-race", json=QUOTA_RACE, headers=manager)
    assert edited.status_code == 422
    assert edited.json()["errors"][0]["field"] == "participants.participants"


async def test_unknown_teams_and_participants_are_refused_by_name(
    client: Client, world: Headers
) -> None:
    body = race(
        "r", "R", participants={"teams": ["east", "north"], "participants": ["rep-1", "ghost"]}
    )
    refused = await client.post("/api/v1/contests", json=body, headers=world["finance"])
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "participants.teams[1]", "message": "no team 'north'"},
        {"field": "participants.participants[1]", "message": "no participant 'ghost'"},
    ]


async def test_cash_prizes_have_a_limit_and_large_ones_wait_for_finance(
    client: Client, db: AsyncEngine, world: Headers
) -> None:
    manager, finance = world["manager"], world["finance"]
    huge = race(
        "huge", "Huge", participants=IN_LINE, prizes=[{"rank": 1, "cash": "999999999999.99"}]
    )
    for who in (manager, finance):
        refused = await client.post("/api/v1/contests", json=huge, headers=who)
        assert refused.status_code == 422
        assert refused.json()["errors"] == [
            {
                "field": "prizes[0].cash",
                "message": "above the largest cash prize allowed (10000 USD)",
            }
        ]
    small = race("small", "Small", participants=IN_LINE, prizes=[{"rank": 1, "cash": "1000"}])
    made = await client.post("/api/v1/contests", json=small, headers=manager)
    assert made.json()["approval"] is None
    big = race("big", "Big", participants=IN_LINE, prizes=[{"rank": 1, "cash": "5000"}])
    await make_live(client, db, manager, big)
    waiting = (await client.get("/api/v1/contests/big", headers=manager)).json()
    assert (waiting["status"], waiting["approval"]) == ("scheduled", "pending")
    # Not on March 2nd either: it waits for finance.
    await contests.advance(db, dt.date(2026, 3, 2), CLI_ACTOR)
    assert (await client.get("/api/v1/contests/big", headers=finance)).json()["status"] == (
        "scheduled"
    )
    assert (await client.post("/api/v1/contests/big/approve", headers=manager)).status_code == 403
    approved = await client.post("/api/v1/contests/big/approve", headers=finance)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["approval"]) == ("live", "approved")
    again = await client.post("/api/v1/contests/big/approve", headers=finance)
    assert again.status_code == 409
    assert (await client.post("/api/v1/contests/small/approve", headers=finance)).status_code == 409
    # finance's own large prize needs no one else's approval.
    theirs = race("theirs", "Theirs", prizes=[{"rank": 1, "cash": "5000"}])
    assert (await client.post("/api/v1/contests", json=theirs, headers=finance)).json()[
        "approval"
    ] is None


async def test_the_contests_own_maker_is_paid_no_cash_prize(
    client: Client, db: AsyncEngine, world: Headers
) -> None:
    december = {"from": "2026-12-01", "to": "2026-12-31"}
    prizes = [{"rank": 1, "cash": "500", "points": 10}, {"rank": 2, "cash": "100"}]
    body = race(
        "december",
        "December",
        window=december,
        participants={"participants": ["rep-1", "mgr-1"]},
        prizes=prizes,
    )
    await make_live(client, db, world["manager"], body)
    await post_deal(client, world["integration"], "D-M", "mgr-1", "20000", "2026-12-03")
    await post_deal(client, world["integration"], "D-R", "rep-1", "100", "2026-12-04")
    done = await contests.advance(db, dt.date(2027, 1, 1), CLI_ACTOR)
    assert done["awarded"] == ["december"]
    async with driver_transaction(db) as conn:
        paid = await conn.fetch(
            "SELECT p.external_id, u.rank, u.amount_minor FROM prize_payouts u"
            " JOIN participants p ON p.id = u.participant_id ORDER BY u.rank"
        )
        audited = await conn.fetchval(
            "SELECT after->'withheld_from_maker' FROM audit_log"
            " WHERE entity = 'contest' AND action = 'award'"
        )
    # mgr-1 came first but made the contest: their 500 is withheld; rep-1's 100 is paid.
    assert [tuple(r) for r in paid] == [("rep-1", 2, 10000)]
    assert [(w["cash"], w["name"]) for w in audited] == [("500", "December: 1st place")]


async def test_the_limits_are_settings(
    db: AsyncEngine, world: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INCENTIVES_CONTEST_MAX_PRIZE", "50")
    monkeypatch.setenv("INCENTIVES_CONTEST_APPROVAL_ABOVE", "10")
    async with api_client(db) as client:
        over = race("over", "Over", prizes=[{"rank": 1, "cash": "60"}])
        refused = await client.post("/api/v1/contests", json=over, headers=world["finance"])
        assert refused.json()["errors"][0]["message"] == (
            "above the largest cash prize allowed (50 USD)"
        )
        asks = race("asks", "Asks", participants=IN_LINE, prizes=[{"rank": 1, "cash": "20"}])
        made = await client.post("/api/v1/contests", json=asks, headers=world["manager"])
        assert made.json()["approval"] == "pending"
    for bad in ("-1", "lots", "NaN"):
        with pytest.raises(ValueError, match="INCENTIVES_CONTEST_MAX_PRIZE"):
            load_settings({"INCENTIVES_CONTEST_MAX_PRIZE": bad})
