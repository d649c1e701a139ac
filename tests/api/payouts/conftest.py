"""Statements ready for the payout workflow, made directly in the database.

Fiscal 2026 with 2026-Q1 closed; rep-1 and rep-2 each have a draft Q1 statement whose
lines add up to its total, every amount checkable by hand. A second finance user and a
rep-2 login make the four-eyes rule and other people's statements testable.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg
import msgspec
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.auth import principals
from incentives.calc.traces import ClawbackTrace, LineTrace, RateTrace, SpiffTrace, TierStep
from incentives.db.connection import driver_transaction
from incentives.ingest.service import ingest
from incentives.periods.store import generate
from tests.api.conftest import Headers

Line = tuple[str, str, int]  # kind, name, amount in cents

REP_1_LINES: list[Line] = [
    ("earning", "Commission", 123457),
    ("spiff", "Q1 platform SPIFF", 50000),
    ("clawback", "Clawback D-7", -10025),
]  # total 1634.32
REP_2_LINES: list[Line] = [("earning", "Commission", 99999)]  # total 999.99


class Statements(msgspec.Struct):
    """Ids of the fixture's statements, and every role's headers."""

    rep_1: int
    rep_2: int
    auth: Headers


def _trace(kind: str, amount: int) -> LineTrace:
    """A trace like the engine's for a line of this kind that paid exactly ``amount``."""
    exact = str(Decimal(amount) / 100)
    if kind == "clawback":
        return ClawbackTrace(deals=["D-7"], unrounded=exact)
    paid: dict[str, Any] = {
        "steps": [TierStep(lower="0", upper=None, rate="1", base=exact, earned=exact)],
        "unrounded": exact,
        "rounding": "half_up",
        "cap": None,
        "before_cap": None,
        "year_to_date": None,
        "previously_paid": None,
    }
    if kind == "spiff":
        return SpiffTrace(**paid)
    return RateTrace(measure="bookings", gate=None, gate_met=None, **paid)


async def insert_statement(
    conn: asyncpg.Connection, participant: str, period: str, lines: list[Line]
) -> int:
    """A draft USD statement with these lines; its total is their sum."""
    statement_id: int = await conn.fetchval(
        "INSERT INTO statements (participant_id, period, currency, total_minor)"
        " SELECT id, $2, 'USD', $3 FROM participants WHERE external_id = $1 RETURNING id",
        participant,
        period,
        sum(amount for _, _, amount in lines),
    )
    await conn.executemany(
        "INSERT INTO statement_lines (statement_id, line_no, kind, plan_key, component, name,"
        " amount_minor, currency, trace) VALUES ($1, $2, $3, 'flat', $3, $4, $5, 'USD', $6)",
        [
            (
                statement_id,
                n,
                kind,
                name,
                amount,
                msgspec.json.encode(_trace(kind, amount)).decode(),
            )
            for n, (kind, name, amount) in enumerate(lines, 1)
        ],
    )
    return statement_id


async def add_principal(
    db: AsyncEngine, role: str, name: str, participant: str | None
) -> dict[str, str]:
    """Headers of a new principal."""
    async with driver_transaction(db) as conn:
        _, token = await principals.create(
            conn, name=name, role=role, participant=participant, actor=CLI_ACTOR
        )
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def statements(db: AsyncEngine, auth: Headers) -> Statements:
    """Draft Q1 statements of rep-1 (1634.32) and rep-2 (999.99); Q1 is closed."""
    async with driver_transaction(db) as conn:
        await generate(conn, 2026, 1, CLI_ACTOR)
        await ingest(
            conn,
            "participants",
            [{"external_id": "rep-2", "name": "Ravi Rep", "currency": "USD"}],
            CLI_ACTOR,
        )
        rep_1 = await insert_statement(conn, "rep-1", "2026-Q1", REP_1_LINES)
        rep_2 = await insert_statement(conn, "rep-2", "2026-Q1", REP_2_LINES)
        await conn.execute("UPDATE periods SET status = 'closed' WHERE label = '2026-Q1'")
    headers = dict(auth)
    headers["finance-2"] = await add_principal(db, "finance", "second finance", None)
    headers["rep-2"] = await add_principal(db, "rep", "Ravi Rep", "rep-2")
    return Statements(rep_1=rep_1, rep_2=rep_2, auth=headers)
