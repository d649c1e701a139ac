"""Achievement rules evaluated against the database, and the awards they leave.

The rules in force are the newest published version of each ``achievement`` plan file.
For each rule the facts are gathered set-wise (``games.query``), what is owed is worked
out by the pure ``games.rules``, and the recorded awards are reconciled with it: new ones
recorded, ones no longer owed revoked (with the reason), revoked ones owed again
restored. Levels come last, from the points every other award left. Evaluated for the
people an ingest touched, after a contest's awards, and nightly for everyone.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit import log as audit
from incentives.db.connection import driver_of, driver_transaction
from incentives.games import announcements, query, rules
from incentives.games.model import (
    Achievement,
    ActivitiesTrigger,
    DealTrigger,
    FirstDealTrigger,
    LevelsTrigger,
    StreakTrigger,
    decode_achievement,
)
from incentives.ingest.touched import Touched
from incentives.plans.strict_yaml import parse_text

logger = logging.getLogger(__name__)
_PARSED: dict[tuple[int, str], Achievement] = {}


async def rules_in_force(conn: asyncpg.Connection) -> list[Achievement]:
    """The newest published version of every achievement rule."""
    rows = await conn.fetch(
        "SELECT DISTINCT ON (key) id, content_hash, source, source_format FROM plan_versions"
        " WHERE kind = 'achievement' ORDER BY key, version DESC"
    )
    found = []
    for row in rows:
        rule = _PARSED.get((row["id"], row["content_hash"]))
        if rule is None:
            decoded, problems = decode_achievement(
                parse_text(row["source"], "." + row["source_format"])
            )
            if decoded is None:
                raise ValueError(f"published achievement {row['id']} is invalid: {problems}")
            rule = _PARSED[(row["id"], row["content_hash"])] = decoded
        found.append(rule)
    return found


@dataclass(frozen=True)
class Award:
    """An award owed: its name, points, badge and what it was for."""

    name: str
    points: int
    badge: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class Owed:
    """What a rule owes per occasion, and why one it no longer owes is revoked."""

    occasions: dict[rules.Occasion, Award]
    why_not: str


async def _owed(
    conn: asyncpg.Connection, rule: Achievement, people: list[int] | None, today: dt.date
) -> Owed:
    when = rule.when
    scoped = people is not None
    first, last = rule.effective.from_, rule.effective.to
    occasions: dict[rules.Occasion, Award] = {}

    def owe(occasion: rules.Occasion, **detail: Any) -> None:
        occasions[occasion] = Award(rule.name, rule.points, rule.badge, detail)

    if isinstance(when, DealTrigger):
        q = query.deal_awards_query(when, rule.currency, first, last, scoped=scoped)
        for row in await conn.fetch(q.sql, *q.args(people or ())):
            owe((row["participant_id"], f"deal:{row['deal']}"), deal=row["deal"])
        return Owed(occasions, "the deal no longer qualifies (cancelled, lost or changed)")
    if isinstance(when, FirstDealTrigger):
        q = query.first_deals_query(last, scoped=scoped)
        for row in await conn.fetch(q.sql, *q.args(people or ())):
            close = row["first_close"]
            if close >= first and rules.first_deal_owed(row["start_date"], close, when.within_days):
                owe((row["participant_id"], "first-deal"), closed=close.isoformat())
        return Owed(occasions, "no won deal within the days after the start date any more")
    if isinstance(when, ActivitiesTrigger):
        q = query.activity_days_query(when, first, last, scoped=scoped)
        days = [
            (r["participant_id"], r["day"], r["quantity"])
            for r in await conn.fetch(q.sql, *q.args(people or ()))
        ]
        for occasion in rules.activity_occasions(days, when.per, when.at_least):
            owe(occasion, **{when.per: occasion[1].removeprefix(f"{when.per}:")})
        return Owed(occasions, f"fewer activities than {when.at_least} in that {when.per} now")
    assert isinstance(when, StreakTrigger)
    periods = [
        r["label"]
        for r in await conn.fetch(
            "SELECT label FROM periods WHERE kind = $1 AND start_date >= $2 AND end_date <= $3"
            " AND end_date < $4 ORDER BY start_date",
            when.period,
            first,
            last,
            today,
        )
    ]
    attained: dict[int, dict[str, Decimal]] = {}
    for row in await conn.fetch(
        "SELECT r.participant_id, r.period, max((m->>'attainment')::numeric) AS attainment"
        " FROM participant_results r CROSS JOIN jsonb_array_elements(r.measures) m"
        " WHERE r.period = ANY($1::text[]) AND m->>'key' = $2 AND m->>'attainment' IS NOT NULL"
        " AND ($3::text IS NULL OR r.plan_key = $3)"
        " AND ($4::bigint[] IS NULL OR r.participant_id = ANY($4))"
        " GROUP BY r.participant_id, r.period",
        periods,
        when.measure,
        when.plan,
        people,
    ):
        attained.setdefault(row["participant_id"], {})[row["period"]] = row["attainment"]
    for participant, by_period in attained.items():
        series = [by_period.get(label) for label in periods]
        for end in rules.streak_ends(series, when.periods, when.attainment):
            streak = periods[end - when.periods + 1 : end + 1]
            owe((participant, f"streak:{periods[end]}"), periods=streak)
    return Owed(occasions, "attainment in the streak's periods fell below the mark")


async def _recorded(
    conn: asyncpg.Connection, key: str, people: list[int] | None
) -> dict[rules.Occasion, rules.Recorded]:
    rows = await conn.fetch(
        "SELECT participant_id, occasion, revoked_at IS NOT NULL AS revoked FROM awards"
        " WHERE source = 'achievement' AND source_key = $1"
        " AND ($2::bigint[] IS NULL OR participant_id = ANY($2))",
        key,
        people,
    )
    return {(r["participant_id"], r["occasion"]): rules.Recorded(r["revoked"]) for r in rows}


@dataclass
class Outcome:
    """How many awards an evaluation recorded, revoked and restored."""

    awarded: int = 0
    revoked: int = 0
    restored: int = 0

    def add(self, other: Outcome) -> None:
        """Accumulate another rule's counts."""
        self.awarded += other.awarded
        self.revoked += other.revoked
        self.restored += other.restored


async def _apply(
    conn: asyncpg.Connection,
    key: str,
    owed: Owed,
    people: list[int] | None,
    actor: audit.Actor,
) -> Outcome:
    recorded = await _recorded(conn, key, people)
    plan = rules.reconcile(recorded, owed.occasions, None if people is None else set(people))
    if plan.award:
        due = [owed.occasions[o] for o in plan.award]
        await conn.execute(
            "INSERT INTO awards (participant_id, source, source_key, occasion, name, points,"
            " badge, detail) SELECT u.person, 'achievement', $1, u.occasion, u.name, u.points,"
            " u.badge, u.detail::jsonb FROM unnest($2::bigint[], $3::text[], $4::text[],"
            " $5::int[], $6::text[], $7::text[])"
            " AS u(person, occasion, name, points, badge, detail) ON CONFLICT DO NOTHING",
            key,
            [o[0] for o in plan.award],
            [o[1] for o in plan.award],
            [a.name for a in due],
            [a.points for a in due],
            [a.badge for a in due],
            [msgspec.json.encode(a.detail).decode() for a in due],
        )
        await announcements.awards_granted(
            conn,
            [
                announcements.Granted(person, a.name, a.points, a.badge, "achievement", key, occ)
                for (person, occ), a in zip(plan.award, due, strict=True)
            ],
        )
    for occasions, revoke in ((plan.revoke, True), (plan.restore, False)):
        if occasions:
            await conn.execute(
                "UPDATE awards a SET revoked_at = CASE WHEN $2 THEN now() END, revoked_reason = $3"
                " FROM unnest($4::bigint[], $5::text[]) AS u(person, occasion)"
                " WHERE a.source = 'achievement' AND a.source_key = $1"
                " AND a.participant_id = u.person AND a.occasion = u.occasion",
                key,
                revoke,
                owed.why_not if revoke else None,
                [o[0] for o in occasions],
                [o[1] for o in occasions],
            )
    changes = [
        (f"{key}/{person}/{occasion}", None, {"action": action})
        for action, occasions in (
            ("award", plan.award),
            ("revoke", plan.revoke),
            ("restore", plan.restore),
        )
        for person, occasion in occasions
    ]
    await audit.record_many(conn, actor, "evaluate", "award", changes)
    return Outcome(len(plan.award), len(plan.revoke), len(plan.restore))


async def _levels(conn: asyncpg.Connection, rule: Achievement, people: list[int] | None) -> Owed:
    assert isinstance(rule.when, LevelsTrigger)
    occasions: dict[rules.Occasion, Award] = {}
    for row in await conn.fetch(
        "SELECT participant_id, sum(points)::int AS points FROM awards WHERE revoked_at IS NULL"
        " AND ($1::bigint[] IS NULL OR participant_id = ANY($1)) GROUP BY participant_id",
        people,
    ):
        for level in rules.levels_reached(row["points"], rule.when.levels):
            detail = {"level": level.name, "points": level.points}
            award = Award(f"{rule.name}: {level.name}", 0, level.name, detail)
            occasions[(row["participant_id"], f"level:{level.name}")] = award
    return Owed(occasions, "accumulated points fell below the level")


async def evaluate(
    engine: AsyncEngine, people: Iterable[int] | None, today: dt.date, actor: audit.Actor
) -> Outcome:
    """Evaluate every achievement rule for ``people`` (None: everyone), one transaction per
    rule (holding the rule's lock, so evaluations of one rule never interleave)."""
    scope = None if people is None else sorted(set(people))
    async with engine.connect() as sa_conn:
        in_force = await rules_in_force(await driver_of(sa_conn))
    total = Outcome()
    ordered = sorted(in_force, key=lambda r: isinstance(r.when, LevelsTrigger))
    for rule in ordered:
        async with driver_transaction(engine) as conn:
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext('achievement'), hashtext($1))", rule.key
            )
            if isinstance(rule.when, LevelsTrigger):
                owed = await _levels(conn, rule, scope)
            else:
                owed = await _owed(conn, rule, scope, today)
            outcome = await _apply(conn, rule.key, owed, scope, actor)
        total.add(outcome)
    return total


def touched_people(touched: Touched) -> set[int]:
    """Everyone an ingest touched."""
    return touched.people()


async def evaluate_in_background(
    engine: AsyncEngine, touched: Touched, today: dt.date, actor: audit.Actor
) -> None:
    """``evaluate`` for the people an ingest touched, as a background task: a failure is
    logged, never raised."""
    try:
        people = touched_people(touched)
        if people:
            await evaluate(engine, people, today, actor)
    except Exception:
        logger.exception("evaluating achievements after an ingest failed")
