"""What a closed period paid is sealed in the database itself: raw SQL cannot add to its
statements, add a statement to it, or delete the deals it paid for; the application's
own flows (closing, late changes paid as adjustments in the open period) go on."""

from __future__ import annotations

from typing import Any, cast

import asyncpg
import httpx
import pytest
from litestar import Litestar, post
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api import problems
from incentives.db.connection import driver_of, driver_transaction
from incentives.db.faults import SEALED, Fault, classify
from tests.integration.test_period_close import (
    close,
    deal,
    feed,
    fetch,
    recompute,
    setup_world,
    statement_lines,
    statement_totals,
)


async def closed_q1(db: AsyncEngine) -> int:
    """rep-1 paid for D-1 in a closed 2026-Q1; the statement's id."""
    await setup_world(db)
    await feed(db, "deals", [deal("D-1", "rep-1", "10000", "2026-02-10")])
    await recompute(db)
    await close(db, "2026-Q1")
    [statement] = await fetch(db, "SELECT id FROM statements")
    return int(statement["id"])


async def refused(db: AsyncEngine, sql: str, *args: object) -> str:
    """Run ``sql``; the message of the database's sealed refusal it must meet."""
    async with db.connect() as sa_conn:
        conn = await driver_of(sa_conn)
        with pytest.raises(asyncpg.PostgresError) as refusal:
            await conn.execute(sql, *args)
    assert refusal.value.sqlstate == SEALED
    failure = classify(refusal.value)
    assert failure is not None and failure.fault is Fault.SEALED
    return failure.message


async def test_a_closed_statement_takes_no_new_line(db: AsyncEngine) -> None:
    statement = await closed_q1(db)
    message = await refused(
        db,
        "INSERT INTO statement_lines (statement_id, line_no, kind, component, name,"
        " amount_minor, currency, trace) VALUES ($1, 99, 'earning', 'commission', 'Extra',"
        " 100000000, 'USD', '{}')",
        statement,
    )
    assert f"statement {statement} of closed period 2026-Q1 takes no new line" in message
    # Its lines still add up to its total (statement_totals checks each against its lines).
    assert await statement_totals(db) == {("rep-1", "2026-Q1"): 100000}
    assert await statement_lines(db, "rep-1", "2026-Q1") == [("earning", "commission", 100000)]


async def test_a_closed_period_takes_no_new_statement(db: AsyncEngine) -> None:
    await closed_q1(db)
    message = await refused(
        db,
        "INSERT INTO statements (participant_id, period, currency, total_minor)"
        " SELECT id, '2026-Q1', 'USD', 1 FROM participants WHERE external_id = 'rep-2'",
    )
    assert "period 2026-Q1 is closed: no new statement in it" in message
    assert len(await fetch(db, "SELECT id FROM statements")) == 1


async def test_a_deal_a_closed_period_paid_for_is_never_deleted(db: AsyncEngine) -> None:
    await closed_q1(db)
    [paid] = await fetch(db, "SELECT id FROM deals WHERE external_id = 'D-1'")
    for sql in (
        "DELETE FROM deals WHERE external_id = 'D-1'",
        "DELETE FROM deal_history WHERE deal_id = (SELECT id FROM deals WHERE external_id = 'D-1')",
    ):
        message = await refused(db, sql)
        assert f"deal {paid['id']} was paid for by closed period 2026-Q1" in message, sql
    assert len(await fetch(db, "SELECT 1 FROM deal_history WHERE deal_id = $1", paid["id"])) == 1


async def test_an_unpaid_deal_may_still_be_deleted(db: AsyncEngine) -> None:
    await closed_q1(db)
    await feed(db, "deals", [deal("D-2", "rep-2", "500", "2026-05-10")])
    await recompute(db)
    async with db.connect() as sa_conn:
        conn = await driver_of(sa_conn)
        assert await conn.execute("DELETE FROM deals WHERE external_id = 'D-2'") == "DELETE 1"


async def test_late_changes_still_land_in_the_open_period_and_close_there(
    db: AsyncEngine,
) -> None:
    await closed_q1(db)
    # A deal of closed Q1 arriving late is paid in Q2, whose close makes its statement.
    await feed(db, "deals", [deal("D-3", "rep-1", "2000", "2026-03-01")])
    await recompute(db)
    await close(db, "2026-Q2")
    assert await statement_lines(db, "rep-1", "2026-Q2") == [("adjustment", "commission", 20000)]
    totals = await statement_totals(db)
    assert totals[("rep-1", "2026-Q2")] == 20000


async def test_a_request_meeting_a_sealed_refusal_answers_409(db: AsyncEngine) -> None:
    statement = await closed_q1(db)

    @post("/sneak-a-line", status_code=200)
    async def sneak_a_line() -> None:
        async with driver_transaction(db) as conn:
            await conn.execute(
                "INSERT INTO statement_lines (statement_id, line_no, kind, component, name,"
                " amount_minor, currency, trace)"
                " VALUES ($1, 99, 'earning', 'x', 'x', 1, 'USD', '{}')",
                statement,
            )

    app = Litestar([sneak_a_line], exception_handlers={Exception: problems.internal_error})
    transport = httpx.ASGITransport(app=cast(Any, app))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        answer = await client.post("/sneak-a-line")
    assert answer.status_code == 409
    assert "closed period 2026-Q1 takes no new line" in answer.json()["title"]
