"""Contests in PostgreSQL: created, edited, scheduled, cancelled and cloned by managers or
published as files, then carried through their window by the scheduler.

``draft`` → ``scheduled`` → ``live`` (its first day has come: standings built) →
``ended`` (the day after its last: standings frozen, final ranks kept) → ``awarded``
(points and badges recorded, cash prizes placed on the winners' next statement). A
contest in test mode ends without awarding anything. Every change is audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives import errors
from incentives.audit import log as audit
from incentives.auth.principals import Principal
from incentives.db.connection import driver_of, driver_transaction
from incentives.engine.money import to_minor
from incentives.engine.validate import Problem
from incentives.games import achievements, announcements, approvals, reach, scoring, standings
from incentives.games.model import Contest, Prize, decode_contest
from incentives.webhooks import events
from incentives.webhooks.events import EventType

EDITABLE = ("draft", "scheduled")
CANCELLABLE = ("draft", "scheduled", "live")


class ContestInvalid(errors.Invalid, ValueError):
    """A contest definition with problems, each named by its path."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            "; ".join(str(p) for p in problems),
            [errors.FieldError(p.path, p.message) for p in problems],
        )

    @property
    def summary(self) -> str:
        """How many problems; each is in ``fields``."""
        return f"The contest is not valid: {len(self.fields)} problem(s)"


class ContestConflict(errors.Conflict):
    """The contest's state does not allow the change."""


class AwardError(errors.Conflict):
    """Prizes cannot be placed yet (no open period to pay a cash prize in)."""


@dataclass(frozen=True)
class Maker:
    """Who makes or edits a contest through the API, on which day, under which limits on
    its cash prizes: what the API checks that files published by finance are not."""

    principal: Principal
    today: dt.date
    limits: approvals.PrizeLimits


async def _check(conn: asyncpg.Connection, contest: Contest, maker: Maker | None) -> None:
    """ContestInvalid, naming each field, for a cash prize above the limit, an unknown
    team or participant, or a manager's contest reaching beyond their line."""
    if maker is None:
        return
    problems = approvals.cash_problems(contest, maker.limits)
    problems += await reach.problems(conn, contest, maker.principal, maker.today)
    if problems:
        raise ContestInvalid(problems)


async def _ask(
    conn: asyncpg.Connection, contest_id: int, contest: Contest, maker: Maker | None
) -> None:
    if maker is not None:
        await approvals.ask(conn, contest_id, contest, maker.principal, maker.limits)


def decode(raw: Any) -> Contest:
    """A contest from an API body (``kind`` may be left out), or ContestInvalid."""
    if isinstance(raw, dict):
        raw = {"kind": "contest", **raw}
    contest, problems = decode_contest(raw)
    if contest is None:
        raise ContestInvalid(problems)
    return contest


def _columns(contest: Contest) -> tuple[str, str, dt.date, dt.date]:
    return contest.name, contest.visibility, contest.window.from_, contest.window.to


def _summary(contest: Contest, status: str) -> dict[str, Any]:
    return {
        "key": contest.key,
        "name": contest.name,
        "status": status,
        "visibility": contest.visibility,
        "window": [contest.window.from_.isoformat(), contest.window.to.isoformat()],
    }


async def create(
    conn: asyncpg.Connection,
    raw: Mapping[str, Any],
    actor: audit.Actor,
    *,
    status: str = "draft",
    plan_version_id: int | None = None,
    maker: Maker | None = None,
) -> int:
    """Store a new contest (a draft unless told) and return its id; ContestConflict if
    its key is taken. Made through the API (``maker``), it is checked against its maker's
    reach and the prize limits, and may wait for finance's approval."""
    contest = decode(dict(raw))
    await _check(conn, contest, maker)
    definition = {"kind": "contest", **raw}
    new_id = await conn.fetchval(
        "INSERT INTO contests (key, name, visibility, starts_on, ends_on, definition, status,"
        " plan_version_id, created_by_id, created_by) VALUES ($1, $2, $3, $4, $5, $6::jsonb,"
        " $7, $8, $9, $10) ON CONFLICT (key) DO NOTHING RETURNING id",
        contest.key,
        *_columns(contest),
        msgspec.json.encode(definition).decode(),
        status,
        plan_version_id,
        actor.principal_id,
        actor.name,
    )
    if new_id is None:
        raise ContestConflict(f"a contest with key {contest.key!r} exists already")
    await _ask(conn, new_id, contest, maker)
    await audit.record(
        conn, actor, "create", "contest", key=contest.key, after=_summary(contest, status)
    )
    return int(new_id)


async def _locked(conn: asyncpg.Connection, contest_id: int) -> standings.Stored:
    game = await standings.lock(conn, contest_id)
    if game is None:
        raise LookupError(contest_id)
    return game


async def replace(
    conn: asyncpg.Connection,
    contest_id: int,
    raw: Mapping[str, Any],
    actor: audit.Actor,
    *,
    plan_version_id: int | None = None,
    maker: Maker | None = None,
) -> None:
    """Replace a draft or scheduled contest's definition (its key stays), checked as at
    ``create``; a definition that needs finance's approval asks for it again."""
    game = await _locked(conn, contest_id)
    contest = decode(dict(raw))
    await _check(conn, contest, maker)
    if contest.key != game.key:
        raise ContestInvalid([Problem("key", f"a contest's key cannot change (it is {game.key})")])
    if game.status not in EDITABLE:
        raise ContestConflict(
            f"the contest is {game.status}; only a draft or scheduled one changes"
        )
    await conn.execute(
        "UPDATE contests SET name = $2, visibility = $3, starts_on = $4, ends_on = $5,"
        " definition = $6::jsonb, revision = revision + 1, updated_at = now(),"
        " plan_version_id = coalesce($7, plan_version_id) WHERE id = $1",
        contest_id,
        *_columns(contest),
        msgspec.json.encode({"kind": "contest", **raw}).decode(),
        plan_version_id,
    )
    await _ask(conn, contest_id, contest, maker)
    await audit.record(
        conn,
        actor,
        "edit",
        "contest",
        key=game.key,
        before=_summary(game.contest, game.status),
        after=_summary(contest, game.status),
    )


# Moves a webhook announces (an award announces its winners: see ``award``).
_ANNOUNCED = {"live": EventType.CONTEST_STARTED, "ended": EventType.CONTEST_ENDED}


def _announcement(game: standings.Stored, status: str) -> dict[str, Any]:
    window = game.contest.window
    return {
        "key": game.key,
        "name": game.contest.name,
        "status": status,
        "starts_on": window.from_.isoformat(),
        "ends_on": window.to.isoformat(),
    }


async def _move(
    conn: asyncpg.Connection,
    game: standings.Stored,
    allowed: tuple[str, ...],
    status: str,
    actor: audit.Actor,
    stamp: str | None = None,
) -> None:
    if game.status not in allowed:
        raise ContestConflict(f"the contest is {game.status}; it cannot become {status}")
    at = f", {stamp} = now()" if stamp else ""
    await conn.execute(
        f"UPDATE contests SET status = $2, updated_at = now(){at} WHERE id = $1", game.id, status
    )
    await standings.announce(conn, game.id, None)  # boards show the contest's status
    if status in _ANNOUNCED and game.contest.visibility == "public":
        await events.announce(conn, _ANNOUNCED[status], [_announcement(game, status)])
    await audit.record(
        conn,
        actor,
        status,
        "contest",
        key=game.key,
        before={"status": game.status},
        after={"status": status},
    )


async def schedule(
    conn: asyncpg.Connection, contest_id: int, actor: audit.Actor, today: dt.date
) -> None:
    """A draft becomes scheduled (it goes live when its first day comes)."""
    game = await _locked(conn, contest_id)
    if game.contest.window.to < today:
        raise ContestConflict("the contest's window is over; change its dates first")
    await _move(conn, game, ("draft",), "scheduled", actor)


async def cancel(conn: asyncpg.Connection, contest_id: int, actor: audit.Actor) -> None:
    """Call the contest off: nothing is awarded; a live board stays as it was."""
    game = await _locked(conn, contest_id)
    await _move(conn, game, CANCELLABLE, "cancelled", actor, "cancelled_at")


async def clone(
    conn: asyncpg.Connection,
    contest_id: int,
    actor: audit.Actor,
    changes: Mapping[str, Any],
    maker: Maker | None = None,
) -> int:
    """A new draft with the contest's definition, with ``changes`` (a new key, name or
    window) applied, checked as at ``create``; the key defaults to the original's with
    ``-copy``."""
    row = await conn.fetchrow("SELECT key, definition FROM contests WHERE id = $1", contest_id)
    if row is None:
        raise LookupError(contest_id)
    key = changes.get("key") or await _free_key(conn, f"{row['key']}-copy")
    definition = {**row["definition"], **changes, "key": key}
    return await create(conn, definition, actor, maker=maker)


async def _free_key(conn: asyncpg.Connection, base: str) -> str:
    taken = {
        r["key"]
        for r in await conn.fetch("SELECT key FROM contests WHERE key LIKE $1 || '%'", base)
    }
    number = 1
    key = base
    while key in taken:
        number += 1
        key = f"{base}-{number}"
    return key


async def approve(conn: asyncpg.Connection, contest_id: int, actor: audit.Actor) -> None:
    """Finance's approval of a contest's cash prizes: it may go live on its first day.
    ContestConflict if it was not waiting for one, or is cancelled."""
    game = await _locked(conn, contest_id)
    if game.status not in EDITABLE:
        raise ContestConflict(f"the contest is {game.status}; there is nothing to approve")
    if not await approvals.approve(conn, contest_id, actor):
        raise ContestConflict("the contest does not wait for an approval")
    await audit.record(
        conn,
        actor,
        "approve",
        "contest",
        key=game.key,
        before={"approval": approvals.Approval.PENDING},
        after={"approval": approvals.Approval.APPROVED},
    )


async def publish_file(
    conn: asyncpg.Connection,
    version_id: int,
    raw: Mapping[str, Any],
    contest: Contest,
    actor: audit.Actor,
) -> None:
    """A published contest file schedules its contest (creating it, or replacing the
    definition of a draft or scheduled one); ContestConflict once it has gone live."""
    existing = await conn.fetchval("SELECT id FROM contests WHERE key = $1", contest.key)
    if existing is None:
        await create(conn, raw, actor, status="scheduled", plan_version_id=version_id)
        return
    await replace(conn, existing, raw, actor, plan_version_id=version_id)
    game = await _locked(conn, existing)
    if game.status == "draft":
        await _move(conn, game, ("draft",), "scheduled", actor)


async def start(engine: AsyncEngine, contest_id: int, today: dt.date, actor: audit.Actor) -> bool:
    """Take a scheduled contest live once its first day has come, unless it waits for
    finance's approval: build its standings."""
    async with driver_transaction(engine) as conn:
        game = await _locked(conn, contest_id)
        if game.status != "scheduled" or game.contest.window.from_ > today:
            return False
        if await approvals.pending(conn, contest_id):
            return False
        await _move(conn, game, ("scheduled",), "live", actor, "live_at")
        await standings.refresh(conn, game, today)
        await standings.snapshot_day(conn, game, today)
    return True


async def finish(engine: AsyncEngine, contest_id: int, today: dt.date, actor: audit.Actor) -> bool:
    """End a live contest once its last day is over: a final update, then the standings
    are frozen with their final ranks. Nothing changes them afterwards."""
    async with driver_transaction(engine) as conn:
        game = await _locked(conn, contest_id)
        if game.status != "live" or game.contest.window.to >= today:
            return False
        await standings.refresh(conn, game, today)
        board = await standings.ranked(conn, game)
        await conn.execute(
            "UPDATE contest_standings s SET final_rank = u.rank"
            " FROM unnest($2::bigint[], $3::int[]) AS u(subject, rank)"
            " WHERE s.contest_id = $1 AND s.subject_id = u.subject",
            game.id,
            [r.standing.subject for r in board],
            [r.rank for r in board],
        )
        await _move(conn, game, ("live",), "ended", actor, "frozen_at")
    return True


def _ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def prize_name(contest: Contest, prize: Prize, rank: int) -> str:
    """How a prize reads on a statement or a profile."""
    if prize.rank is not None:
        return f"{contest.name}: {_ordinal(rank)} place"
    return f"{contest.name}: reached {prize.at_least}"


# The first open period ending on or after the contest's last day, of a kind the winner
# is paid in (any kind if they have no results yet): the period of their next statement.
_PAY_PERIOD = """
SELECT p.label FROM periods p
WHERE p.status = 'open' AND p.end_date >= $2
  AND (p.kind IN (SELECT q.kind FROM participant_results r JOIN periods q ON q.label = r.period
                  WHERE r.participant_id = $1)
       OR NOT EXISTS (SELECT 1 FROM participant_results r WHERE r.participant_id = $1))
ORDER BY p.end_date, p.start_date DESC LIMIT 1
"""


async def award(engine: AsyncEngine, contest_id: int, actor: audit.Actor) -> set[int] | None:
    """Award an ended public contest's prizes from its frozen standings: points and badges
    as awards, cash as prize payouts on each winner's next statement (a team's prize goes
    to each of its members), except to the contest's own maker: they may win points and
    badges, but no money they promised (their cash is withheld, and audited so). Returns
    the participants who won (None: nothing to award); AwardError, with nothing written,
    if a cash prize has no open period to be paid in."""
    async with driver_transaction(engine) as conn:
        game = await _locked(conn, contest_id)
        contest = game.contest
        if game.status != "ended" or contest.visibility != "public":
            return None
        wins = scoring.winners(await standings.ranked(conn, game), contest.prizes)
        maker = await conn.fetchval(
            "SELECT p.participant_id FROM contests c JOIN principals p"
            " ON p.id = c.created_by_id WHERE c.id = $1",
            game.id,
        )
        withheld: list[dict[str, Any]] = []
        members: dict[int, list[int]] = {}
        if contest.scope == "teams":
            for row in await conn.fetch(
                "SELECT team_id, participant_id FROM contest_entries WHERE contest_id = $1",
                game.id,
            ):
                members.setdefault(row["team_id"], []).append(row["participant_id"])
        awards: list[tuple[int, str, int, str | None, str]] = []
        payouts: list[tuple[int, int, int, str, int, str]] = []
        placed: list[tuple[int, str, int]] = []
        for win in wins:
            prize = contest.prizes[win.prize_no]
            name = prize_name(contest, prize, win.rank)
            people = members.get(win.subject, []) if contest.scope == "teams" else [win.subject]
            for person in people:
                placed.append((person, name, win.rank))
                occasion = f"prize:{win.prize_no}"
                if prize.points or prize.badge:
                    awards.append((person, occasion, prize.points, prize.badge, name))
                if prize.cash is not None and contest.currency is not None and person == maker:
                    withheld.append({"participant": person, "cash": str(prize.cash), "name": name})
                elif prize.cash is not None and contest.currency is not None:
                    period = await conn.fetchval(_PAY_PERIOD, person, contest.window.to)
                    if period is None:
                        raise AwardError(
                            f"no open period to pay {contest.key}'s prize in; generate the"
                            " fiscal calendar"
                        )
                    amount = to_minor(prize.cash, contest.currency)
                    payouts.append((person, win.prize_no, win.rank, period, amount, name))
        if awards:
            await conn.execute(
                "INSERT INTO awards (participant_id, source, source_key, occasion, points,"
                " badge, name, detail) SELECT u.person, 'contest', $1::text, u.occasion, u.points,"
                " u.badge, u.name, jsonb_build_object('contest', $1::text)"
                " FROM unnest($2::bigint[], $3::text[], $4::int[], $5::text[], $6::text[])"
                " AS u(person, occasion, points, badge, name) ON CONFLICT DO NOTHING",
                game.key,
                *(list(column) for column in zip(*awards, strict=True)),
            )
        if payouts:
            await conn.execute(
                "INSERT INTO prize_payouts (contest_id, participant_id, prize_no, rank, period,"
                " amount_minor, currency, name) SELECT $1, u.person, u.prize_no, u.rank,"
                " u.period, u.amount, $2, u.name FROM unnest($3::bigint[], $4::int[], $5::int[],"
                " $6::text[], $7::bigint[], $8::text[])"
                " AS u(person, prize_no, rank, period, amount, name) ON CONFLICT DO NOTHING",
                game.id,
                contest.currency,
                *(list(column) for column in zip(*payouts, strict=True)),
            )
        await _move(conn, game, ("ended",), "awarded", actor, "awarded_at")
        await announcements.contest_awarded(conn, _announcement(game, "awarded"), placed)
        await announcements.awards_granted(
            conn,
            [
                announcements.Granted(person, name, points, badge, "contest", game.key, occasion)
                for person, occasion, points, badge, name in awards
            ],
        )
        await audit.record(
            conn,
            actor,
            "award",
            "contest",
            key=game.key,
            after={
                "awards": [
                    {"participant": a[0], "points": a[2], "badge": a[3], "name": a[4]}
                    for a in awards
                ],
                "cash": [
                    {"participant": p[0], "period": p[3], "amount_minor": p[4]} for p in payouts
                ],
                "withheld_from_maker": withheld,
            },
        )
    return {a[0] for a in awards} | {p[0] for p in payouts}


async def advance(engine: AsyncEngine, today: dt.date, actor: audit.Actor) -> dict[str, Any]:
    """Move every contest whose day has come: start, end, award (retrying an award that
    could not be placed before)."""
    async with engine.connect() as sa_conn:
        rows = await (await driver_of(sa_conn)).fetch(
            "SELECT id, key FROM contests WHERE (status = 'scheduled' AND starts_on <= $1)"
            " OR (status = 'live' AND ends_on < $1)"
            " OR (status = 'ended' AND visibility = 'public') ORDER BY id",
            today,
        )
    done: dict[str, list[str]] = {"started": [], "ended": [], "awarded": [], "not_awarded": []}
    for row in rows:
        if await start(engine, row["id"], today, actor):
            done["started"].append(row["key"])
        if await finish(engine, row["id"], today, actor):
            done["ended"].append(row["key"])
        try:
            winners = await award(engine, row["id"], actor)
        except AwardError as exc:
            done["not_awarded"].append(f"{row['key']}: {exc}")
            continue
        if winners is not None:
            done["awarded"].append(row["key"])
            # Their new points may reach a level.
            await achievements.evaluate(engine, winners, today, actor)
    return {"today": today.isoformat(), **done}


async def rebuild_live(engine: AsyncEngine, today: dt.date) -> list[str]:
    """The nightly rebuild: every live contest recomputed whole, with the day's opening
    ranks taken; returns their keys."""
    async with engine.connect() as sa_conn:
        rows = await (await driver_of(sa_conn)).fetch(
            "SELECT id, key FROM contests WHERE status = 'live' ORDER BY id"
        )
    return [row["key"] for row in rows if await standings.rebuild(engine, row["id"], today)]
