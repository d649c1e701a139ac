"""The demo data set loads through ingest, replays harmlessly, and its tokens work."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.demo.commands import load
from incentives.demo.dataset import build
from tests.http import api_client

NOVEMBER = dt.date(2026, 11, 23)


def test_the_demo_data_set_is_deterministic_and_realistic() -> None:
    data = build()
    assert data == build()
    assert len(data.reps) == 50 and len(data.managers) == 5
    assert sum("splits" in d for d in data.deals) > 50
    assert sum(d["status"] == "cancelled" for d in data.deals) > 10
    assert {d["close_date"][:4] for d in data.deals} == {"2026"}


async def test_demo_loads_replays_and_hands_out_working_tokens(db: AsyncEngine) -> None:
    data = build()
    tokens = await load(db, data, NOVEMBER)
    again = await load(db, data, NOVEMBER)
    async with db.connect() as conn:
        counts = (
            await conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM participants), (SELECT count(*) FROM deals),"
                    " (SELECT count(*) FROM deal_history), (SELECT count(*) FROM activities),"
                    " (SELECT count(*) FROM periods), (SELECT count(*) FROM deal_splits)"
                )
            )
        ).one()
    splits = sum(len(d.get("splits", [])) for d in data.deals)
    # The replay added no deal versions: history holds one row per deal.
    assert tuple(counts) == (
        len(data.participants),
        len(data.deals),
        len(data.deals),
        len(data.activities),
        17,
        splits,
    )
    async with api_client(db) as client:
        for role in ("rep", "manager", "finance", "admin"):
            for token in (tokens[role], again[role]):
                me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
                assert me.json()["role"] == role
        # Its contests are live: everyone on the individual board, five teams on the other.
        rep = {"Authorization": f"Bearer {tokens['rep']}"}
        live = await client.get("/api/v1/contests?status=live", headers=rep)
        assert {c["key"] for c in live.json()} == {"november-sprint", "q4-team-cup"}
        board = await client.get("/api/v1/contests/november-sprint/leaderboard", headers=rep)
        assert board.json()["subjects"] == len(data.participants)
        teams = await client.get("/api/v1/contests/q4-team-cup/leaderboard", headers=rep)
        assert teams.json()["subjects"] == 5
