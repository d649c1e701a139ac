"""Reporting lines decide what a manager sees; reps see themselves; finance sees all."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.auth.access import may_see, visible_participants
from incentives.auth.principals import Principal
from incentives.db.connection import driver_transaction
from incentives.ingest.service import ingest

PEOPLE = ["vp", "m1", "m2", "r1", "r2", "r3"]
LINE = [("m1", "vp"), ("m2", "vp"), ("r1", "m1"), ("r2", "m1"), ("r3", "m2")]


async def test_reporting_lines_follow_the_hierarchy_of_the_day(db: AsyncEngine) -> None:
    async with driver_transaction(db) as conn:
        await ingest(
            conn,
            "participants",
            [{"external_id": p, "name": p.upper(), "currency": "USD"} for p in PEOPLE],
            CLI_ACTOR,
        )
        items = [{"participant": p, "manager": m, "valid_from": "2026-01-01"} for p, m in LINE]
        # r3 moves from m2 to m1 on July 1st.
        items[-1]["valid_to"] = "2026-06-30"
        items.append({"participant": "r3", "manager": "m1", "valid_from": "2026-07-01"})
        await ingest(conn, "assignments", items, CLI_ACTOR)
        ids = {
            r["external_id"]: r["id"]
            for r in await conn.fetch("SELECT id, external_id FROM participants")
        }
        names = {v: k for k, v in ids.items()}

        def who(found: set[int] | None) -> set[str] | None:
            return None if found is None else {names[i] for i in found}

        def principal(role: str, person: str | None) -> Principal:
            return Principal(1, role, role, ids[person] if person else None, person)

        march, august = dt.date(2026, 3, 1), dt.date(2026, 8, 1)
        m1, m2, vp = (
            principal("manager", "m1"),
            principal("manager", "m2"),
            principal("manager", "vp"),
        )
        assert who(await visible_participants(conn, m1, march)) == {"m1", "r1", "r2"}
        assert who(await visible_participants(conn, m1, august)) == {"m1", "r1", "r2", "r3"}
        assert who(await visible_participants(conn, m2, august)) == {"m2"}
        assert who(await visible_participants(conn, vp, march)) == set(PEOPLE)
        rep = principal("rep", "r1")
        assert who(await visible_participants(conn, rep, march)) == {"r1"}
        assert not await may_see(conn, rep, ids["r2"], march)
        assert await may_see(conn, principal("finance", None), ids["r2"], march)
        assert who(await visible_participants(conn, principal("integration", None), march)) == set()
