"""What a plan change would do to pay before it is published: the question finance asks."""

from __future__ import annotations

import asyncio

import asyncpg
import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.calc.load import load
from incentives.db.connection import driver_of
from incentives.engine.decode import Plan
from incentives.engine.evaluate import evaluate
from incentives.engine.money import format_minor
from incentives.engine.periods import Period
from incentives.formats import CurrencyCode, Money
from incentives.plans.publish import parse


class ParticipantImpact(msgspec.Struct):
    """A participant's pay over the open periods under the current and the proposed plan."""

    participant: str
    name: str
    currency: CurrencyCode
    current: Money
    proposed: Money
    difference: Money


class PlanImpact(msgspec.Struct):
    """The proposed version's effect, participant by participant; nothing was published."""

    plan: str
    version: int
    current_version: int | None
    periods: list[str]
    participants: list[ParticipantImpact]
    total_difference: Money
    currency: CurrencyCode
    dry_run: bool = True


async def _totals(conn: asyncpg.Connection, plan: Plan, periods: list[Period]) -> dict[str, int]:
    if not periods:
        return {}
    loaded = await load(conn, plan, periods[-1].end)
    labels = [p.label for p in periods]
    evaluation = await asyncio.to_thread(evaluate, plan, loaded.inputs, labels)
    totals: dict[str, int] = {}
    for result in evaluation.results:
        if result.period in labels and loaded.inputs.paid(
            result.participant_id, plan.schedule.period(result.period)
        ):
            totals[result.participant_id] = totals.get(result.participant_id, 0) + result.total
    return totals


async def dry_run(engine: AsyncEngine, source: str, filename: str) -> PlanImpact:
    """Evaluate the proposed plan and its newest published version over the open periods."""
    proposed = parse(source, filename)
    async with engine.connect() as sa_conn:
        conn = await driver_of(sa_conn)
        status = {
            r["label"]: r["status"] for r in await conn.fetch("SELECT label, status FROM periods")
        }
        open_periods = [p for p in proposed.schedule if status.get(p.label, "open") == "open"]
        current_row = await conn.fetchrow(
            "SELECT version, source, source_format FROM plan_versions WHERE key = $1"
            " ORDER BY version DESC LIMIT 1",
            proposed.key,
        )
        after = await _totals(conn, proposed, open_periods)
        before: dict[str, int] = {}
        if current_row is not None:
            current = parse(current_row["source"], f"plan.{current_row['source_format']}")
            opened = {o.label for o in open_periods}
            current_periods = [p for p in current.schedule if p.label in opened]
            before = await _totals(conn, current, current_periods)
        names = {
            r["external_id"]: r["name"]
            for r in await conn.fetch(
                "SELECT external_id, name FROM participants WHERE external_id = ANY($1::text[])",
                sorted(set(before) | set(after)),
            )
        }
    currency = proposed.payout_currency
    impacts = [
        ParticipantImpact(
            participant=key,
            name=names.get(key, key),
            currency=currency,
            current=format_minor(before.get(key, 0), currency),
            proposed=format_minor(after.get(key, 0), currency),
            difference=format_minor(after.get(key, 0) - before.get(key, 0), currency),
        )
        for key in sorted(set(before) | set(after))
    ]
    return PlanImpact(
        plan=proposed.key,
        version=proposed.version,
        current_version=None if current_row is None else current_row["version"],
        periods=[p.label for p in open_periods],
        participants=impacts,
        total_difference=format_minor(sum(after.values()) - sum(before.values()), currency),
        currency=currency,
    )
