"""Deals a run could not pay: won, but with no rate from their currency into the plan's.

The engine leaves such a deal out of everyone's pay rather than failing the run (one
missing rate would otherwise stop all pay); the run reports it, with the deal's external
id, so that finance loads the rate, and the recompute the rate's ingest sets off pays it.
"""

from __future__ import annotations

import datetime as dt

import asyncpg
import msgspec

from incentives.calc.load import Loaded
from incentives.engine.periods import Schedule
from incentives.engine.results import Evaluation

# A run lists at most this many unpaid deals (and counts them all): a rate missing for a
# busy month must not make the run's record as long as the month.
LISTED = 100


class Unpaid(msgspec.Struct, frozen=True):
    """A deal left out of a plan's pay, and why."""

    plan: str
    deal: str
    close_date: dt.date
    period: str
    participants: list[str]
    reason: str


async def unpaid_deals(
    conn: asyncpg.Connection,
    evaluation: Evaluation,
    loaded: Loaded,
    scope: set[int] | None,
    schedule: Schedule,
) -> tuple[int, list[Unpaid]]:
    """How many of the evaluation's unpaid deals would credit someone paid under the plan
    (of ``schedule``) in their period and in ``scope`` (None: everyone), and the first
    ``LISTED`` of them."""

    def owed(person: str, label: str) -> bool:
        in_scope = scope is None or loaded.db_id(person) in scope
        return in_scope and loaded.inputs.paid(person, schedule.period(label))

    found = [
        deal
        for deal in evaluation.unpaid
        if any(owed(person, deal.period) for person in deal.participants)
    ]
    if not found:
        return 0, []
    names = {
        r["id"]: r["external_id"]
        for r in await conn.fetch(
            "SELECT id, external_id FROM deals WHERE id = ANY($1::bigint[])",
            [int(d.deal_id) for d in found[:LISTED]],
        )
    }
    return len(found), [
        Unpaid(
            plan=evaluation.plan_key,
            deal=names.get(int(d.deal_id), d.deal_id),
            close_date=d.close_date,
            period=d.period,
            participants=list(d.participants),
            reason=d.reason,
        )
        for d in found[:LISTED]
    ]
