"""What an ingest sets off after its commit: a rep's pay and badges do not wait for their
managers' rollups, which come last."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.db.connection import driver_of, driver_transaction
from incentives.ingest.service import ingest
from incentives.ingest.touched import Touched
from incentives.plans.publish import publish
from incentives.recompute.after_ingest import after_ingest
from tests.api.conftest import Headers
from tests.games.conftest import BIG_DEAL

# rep-1's won deal of 5,000 on 2 March 2026, as an ingest would bring it.
DEAL = {
    "external_id": "D-9",
    "owner": "rep-1",
    "amount": "5000",
    "currency": "USD",
    "close_date": "2026-03-02",
    "status": "won",
}


async def _pay(db: AsyncEngine, who: str) -> int | None:
    """Who's pay for 2026-Q1, in cents."""
    async with driver_transaction(db) as conn:
        value: int | None = await conn.fetchval(
            "SELECT r.total_minor FROM participant_results r"
            " JOIN participants p ON p.id = r.participant_id"
            " WHERE p.external_id = $1 AND r.period = '2026-Q1'",
            who,
        )
    return value


async def _awards(db: AsyncEngine, who: str) -> list[str]:
    async with driver_transaction(db) as conn:
        rows = await conn.fetch(
            "SELECT a.badge || ' ' || a.occasion AS badge FROM awards a"
            " JOIN participants p ON p.id = a.participant_id"
            " WHERE p.external_id = $1 AND a.revoked_reason IS NULL ORDER BY 1",
            who,
        )
    return [r["badge"] for r in rows]


async def test_a_reps_pay_and_badge_do_not_wait_for_the_managers_rollup(
    db: AsyncEngine, world: Headers
) -> None:
    touched = Touched()
    async with driver_transaction(db) as conn:
        await publish(conn, BIG_DEAL, "big-deal.yaml", CLI_ACTOR)
        # mgr-1 is paid on the flat plan too: on the credit rolled up from rep-1 and rep-2.
        on_plan = {"plan": "flat", "participant": "mgr-1", "valid_from": "2026-01-01"}
        await ingest(conn, "plan_assignments", [on_plan | {"currency": "USD"}], CLI_ACTOR)
        await ingest(conn, "deals", [DEAL], CLI_ACTOR, touched=touched)
        manager = await conn.fetchval("SELECT id FROM participants WHERE external_id = 'mgr-1'")
    assert await _pay(db, "rep-1") == 128457
    # A long rollup over mgr-1 is in progress: their run waits for its lock.
    async with db.connect() as sa_conn:
        held = await driver_of(sa_conn)
        busy = held.transaction()
        await busy.start()
        await held.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))", f"calc:flat:participant:{manager}"
        )
        # (Managers' runs in this process: the API's go to a worker process.)
        work = asyncio.create_task(after_ingest(db, touched, CLI_ACTOR, None, dt.date(2026, 3, 2)))
        for _ in range(500):
            if "big-deal deal:D-9" in await _awards(db, "rep-1"):
                break
            await asyncio.sleep(0.02)
        assert await _awards(db, "rep-1") == ["big-deal deal:D-1", "big-deal deal:D-9"]
        # 10% of rep-1's 12,845.67 + 5,000 is theirs already; mgr-1's pay is still to come.
        assert await _pay(db, "rep-1") == 178457
        assert not work.done() and await _pay(db, "mgr-1") is None
        await busy.rollback()
    await asyncio.wait_for(work, 10)
    # 10% of 17,845.67 from rep-1 and 500 from rep-2.
    assert await _pay(db, "mgr-1") == 183457
