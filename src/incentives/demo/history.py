"""The demo's past, played through the product's own workflow as it would have happened.

Every period that has ended is closed in order; the statements of the older quarters are
submitted by sales operations, approved by finance, exported to payroll and paid; those of
the last quarter are submitted and wait for finance, one of them rejected once and
submitted again. Last quarter's sprint is awarded before that quarter closes, so its cash
prizes are on the quarter's statements. Reps' questions about their pay stand open,
answered, accepted (with an adjustment paid this quarter) and declined.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit import log as audit
from incentives.auth.principals import Principal
from incentives.db.connection import driver_of, driver_transaction
from incentives.demo.timeline import Timeline
from incentives.demo.tokens import DemoUser
from incentives.games import achievements, contests
from incentives.payouts import disputes, workflow
from incentives.payouts.export import export
from incentives.periods.close import close_period
from incentives.scheduler import SCHEDULER_ACTOR

# Who acts in the demo's past besides the users it prints tokens for.
SALES_OPS = DemoUser("sales-ops", "demo sales operations", "finance", None)
REJECTION = "The SPIFF on a split deal is paid in full; it should follow the split."


@dataclass(frozen=True)
class Cast:
    """The principals the history needs: finance, sales operations, and reps who ask."""

    finance: Principal
    sales_ops: Principal
    askers: list[Principal]  # the demo rep first


async def principal(conn: asyncpg.Connection, principal_id: int) -> Principal:
    """The principal with this id."""
    row = await conn.fetchrow(
        "SELECT p.id, p.name, p.role, p.participant_id, pa.external_id AS participant_key"
        " FROM principals p LEFT JOIN participants pa ON pa.id = p.participant_id"
        " WHERE p.id = $1",
        principal_id,
    )
    assert row is not None
    return Principal(**dict(row))


async def has_history(engine: AsyncEngine) -> bool:
    """Whether the demo's past was played already (a period is closed)."""
    async with engine.connect() as sa_conn:
        conn = await driver_of(sa_conn)
        return bool(await conn.fetchval("SELECT count(*) FROM periods WHERE status = 'closed'"))


async def _close_through(engine: AsyncEngine, last: dt.date, actor: audit.Actor) -> None:
    """Close every open period ending on or before ``last``, oldest first."""
    async with engine.connect() as sa_conn:
        rows = await (await driver_of(sa_conn)).fetch(
            "SELECT label FROM periods WHERE status = 'open' AND end_date <= $1"
            " ORDER BY end_date, start_date DESC",
            last,
        )
    for row in rows:
        await close_period(engine, row["label"], actor)


async def _closed_within(conn: asyncpg.Connection, first: dt.date, before: dt.date) -> list[str]:
    """The closed periods that start on or after ``first`` and end before ``before``."""
    rows = await conn.fetch(
        "SELECT label FROM periods WHERE status = 'closed' AND start_date >= $1"
        " AND end_date < $2 ORDER BY end_date, start_date DESC",
        first,
        before,
    )
    return [row["label"] for row in rows]


async def _pay(conn: asyncpg.Connection, period: str, cast: Cast) -> None:
    """Submit, approve, export and pay every statement of ``period``."""
    await workflow.bulk(conn, period, workflow.SUBMIT, cast.sales_ops.actor())
    await workflow.bulk(conn, period, workflow.APPROVE, cast.finance.actor())
    await export(conn, period, "approved", cast.finance.actor(), io.StringIO())
    await workflow.mark_paid(conn, cast.finance.actor(), period=period)


async def _submit_with_a_rejection(conn: asyncpg.Connection, period: str, cast: Cast) -> None:
    """Finance sends the submitted statement of ``period`` with the largest SPIFF back
    once, and sales operations submits it again."""
    rejected = await conn.fetchval(
        "SELECT s.id FROM statements s JOIN statement_lines l ON l.statement_id = s.id"
        " WHERE s.period = $1 AND l.kind = 'spiff' ORDER BY l.amount_minor DESC, s.id LIMIT 1",
        period,
    )
    if rejected is None:
        return
    await workflow.transition(
        conn, rejected, workflow.REJECT, cast.finance.actor(), reason=REJECTION
    )
    await workflow.transition(conn, rejected, workflow.SUBMIT, cast.sales_ops.actor())


async def _statement_of(conn: asyncpg.Connection, who: Principal, period: str) -> int | None:
    found: int | None = await conn.fetchval(
        "SELECT id FROM statements WHERE participant_id = $1 AND period = $2",
        who.participant_id,
        period,
    )
    return found


async def _questions(conn: asyncpg.Connection, timeline: Timeline, cast: Cast) -> None:
    """The reps' questions about their pay, in the four states a question can be in."""
    last, older = timeline.previous.label, timeline.quarter(-2).label
    asked = [
        (0, last, "A deal I closed on the last day of the quarter is not on this line."),
        (1, older, "My commission looks lower than my attainment suggests."),
        (2, older, "The SPIFF for my new-logo deal is missing."),
        (3, older, "I expected the accelerator to apply from 100%."),
    ]
    opened = []
    for who, period, message in asked:
        rep = cast.askers[who]
        statement = await _statement_of(conn, rep, period)
        if statement is None:
            continue
        opened.append(await disputes.open_dispute(conn, rep, statement, 1, message))
    finance = cast.finance
    if len(opened) > 1:
        await disputes.answer(
            conn,
            finance,
            opened[1].id,
            "Your quota was prorated for the days you were on leave; the explanation of the"
            " line shows the days counted.",
        )
    if len(opened) > 2:
        await disputes.resolve(
            conn,
            finance,
            opened[2].id,
            accepted=True,
            reason="The deal was marked renewal by mistake; the SPIFF is paid this quarter.",
            adjustment=Decimal("500.00"),
            period=None,
        )
    if len(opened) > 3:
        await disputes.resolve(
            conn,
            finance,
            opened[3].id,
            accepted=False,
            reason="The plan pays 12% on the slice above 100% only; the line is right.",
            adjustment=None,
            period=None,
        )


async def play(engine: AsyncEngine, timeline: Timeline, cast: Cast, grace_days: int) -> None:
    """Play the demo's past once, up to ``timeline.today``."""
    actor = SCHEDULER_ACTOR
    await _close_through(engine, timeline.previous.start - dt.timedelta(days=1), actor)
    async with driver_transaction(engine) as conn:
        for label in await _closed_within(conn, timeline.start, timeline.previous.start):
            await _pay(conn, label, cast)
    # Last quarter's sprint ended on its last day: awarded the day after, before the close.
    await contests.advance(engine, timeline.previous.end + dt.timedelta(days=1), actor)
    await _close_through(
        engine, max(timeline.previous.end, timeline.today - dt.timedelta(days=grace_days)), actor
    )
    async with driver_transaction(engine) as conn:
        for label in await _closed_within(conn, timeline.previous.start, timeline.current.start):
            await workflow.bulk(conn, label, workflow.SUBMIT, cast.sales_ops.actor())
        await _submit_with_a_rejection(conn, timeline.previous.label, cast)
        await _questions(conn, timeline, cast)
    await achievements.evaluate(engine, None, timeline.today, actor)
