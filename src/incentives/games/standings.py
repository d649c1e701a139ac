"""Maintaining contest standings in PostgreSQL: rebuilt whole, or updated for a few people.

A refresh computes the entries of its scope with one set-based query (``games.query``),
writes only those that changed, recomputes the standings they affect (a participant, or
the teams on both sides of a change) with the pure ``games.scoring``, and announces the
changed subjects with ``NOTIFY standings_changed`` in the same transaction: listeners
hear of standings only once they are readable, and never of a rolled-back refresh. Every
refresh of a contest holds its transaction-scoped lock, so two refreshes of one contest
(an ingest and a rebuild, or two ingests touching one team) never interleave.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import asyncpg
import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.db.connection import driver_of, driver_transaction
from incentives.games import scoring
from incentives.games.model import Contest, decode_contest
from incentives.games.query import Query, entries_query
from incentives.ingest.touched import Touched

logger = logging.getLogger(__name__)

CHANNEL = "standings_changed"
# Larger changes are announced as "everything": a payload is limited to 8000 bytes.
_MAX_SUBJECTS = 500


class Change(msgspec.Struct, frozen=True):
    """A contest whose standings changed, and which subjects (None: any of them)."""

    contest: int
    subjects: frozenset[int] | None


_DECODER = msgspec.json.Decoder(Change)


def parse(payload: str) -> Change | None:
    """The change a notification announces (None if unreadable)."""
    try:
        return _DECODER.decode(payload)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None


async def announce(conn: asyncpg.Connection, contest: int, subjects: set[int] | None) -> None:
    """Tell listeners, when the transaction commits, whose standings changed."""
    many = subjects is None or len(subjects) > _MAX_SUBJECTS
    change = Change(contest, None if many or subjects is None else frozenset(subjects))
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, msgspec.json.encode(change).decode())


@dataclass(frozen=True)
class Stored:
    """A contest as stored: its row's essentials and its decoded definition."""

    id: int
    key: str
    name: str
    status: str
    revision: int
    version: tuple[int, int, dt.datetime]  # what identifies this definition
    contest: Contest


# A definition never changes within a revision: decoded and compiled once per process.
# (created_at keeps a contest apart from an earlier one that had its id.)
_DECODED: dict[tuple[int, int, dt.datetime], Contest] = {}
_QUERIES: dict[tuple[int, int, dt.datetime, bool], Query] = {}
_COLUMNS = "id, key, name, status, revision, created_at, definition"


def stored(row: asyncpg.Record) -> Stored:
    """A contest row (with ``_COLUMNS``) and its definition."""
    cache_key = (row["id"], row["revision"], row["created_at"])
    contest = _DECODED.get(cache_key)
    if contest is None:
        decoded, problems = decode_contest(row["definition"])
        if decoded is None:
            raise ValueError(f"contest {row['key']} is stored invalid: {problems}")
        contest = _DECODED[cache_key] = decoded
    return Stored(
        row["id"], row["key"], row["name"], row["status"], row["revision"], cache_key, contest
    )


async def load(conn: asyncpg.Connection, contest_id: int) -> Stored | None:
    """A stored contest by id."""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM contests WHERE id = $1", contest_id)
    return None if row is None else stored(row)


async def lock(conn: asyncpg.Connection, contest_id: int) -> Stored | None:
    """Take the contest's lock for the transaction and read it as it now stands."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('contest'), $1::int)", contest_id)
    return await load(conn, contest_id)


def reference_day(contest: Contest, today: dt.date) -> dt.date:
    """The day team membership is read on: today, within the window."""
    return min(max(today, contest.window.from_), contest.window.to)


_ENTRIES = (
    "SELECT participant_id, team_id, score, target, reached_at, reaching_event"
    " FROM contest_entries WHERE contest_id = $1"
)


def _entry(row: asyncpg.Record) -> scoring.Entry:
    return scoring.Entry(
        row["participant_id"],
        row["team_id"],
        row["score"],
        row["target"],
        row["reached_at"],
        row["reaching_event"],
    )


async def refresh(
    conn: asyncpg.Connection, game: Stored, today: dt.date, people: set[int] | None = None
) -> set[int]:
    """Recompute the contest's entries (everyone's, or only ``people``'s) and the standings
    they change, in the caller's transaction, which must hold the contest's lock. Returns
    the subjects whose standings changed."""
    contest = game.contest
    scoped = people is not None
    query_key = (*game.version, scoped)
    query = _QUERIES.get(query_key)
    if query is None:
        query = _QUERIES[query_key] = entries_query(contest, scoped=scoped)
    day = reference_day(contest, today)
    received = contest.ranking.reached_on == "received"
    args = query.args(sorted(people or ()), day)
    fresh = [_entry(r) for r in await conn.fetch(query.sql, *args)]
    # Two statements rather than "$2 IS NULL OR …": a prepared statement's generic plan
    # could not use the key for the few people of an update.
    stored_entries = (
        await conn.fetch(_ENTRIES, game.id)
        if people is None
        else await conn.fetch(_ENTRIES + " AND participant_id = ANY($2)", game.id, sorted(people))
    )
    before = {e.participant: e for e in map(_entry, stored_entries)}
    changed: list[scoring.Entry] = []
    teams: set[int | None] = set()  # on both sides of a change
    for entry in fresh:
        old = before.pop(entry.participant, None)
        if old is not None and old.score == entry.score and received:
            # The score did not move, so neither did the moment it was reached (an event's
            # own date is part of the data and is taken as it now stands).
            entry = msgspec.structs.replace(
                entry, reached_at=old.reached_at, reaching_event=old.reaching_event
            )
        if old is None or old != entry:
            changed.append(entry)
            teams |= {entry.team, None if old is None else old.team}
    gone = list(before.values())
    teams |= {e.team for e in gone}
    await _write_entries(conn, game.id, changed, [e.participant for e in gone])
    if contest.scope == "individuals":
        subjects = {e.participant for e in [*changed, *gone]}
        standings = [scoring.individual(e, contest.ranking.basis) for e in changed]
    else:
        subjects = {t for t in teams if t is not None}
        standings = await _team_standings(conn, game, subjects)
    await _write_standings(conn, game.id, standings, subjects)
    if subjects:
        await announce(conn, game.id, subjects)
    return subjects


async def _team_standings(
    conn: asyncpg.Connection, game: Stored, teams: set[int]
) -> list[scoring.Standing]:
    rows = await conn.fetch(_ENTRIES + " AND team_id = ANY($2::bigint[])", game.id, sorted(teams))
    contest = game.contest
    return scoring.standings(
        map(_entry, rows),
        scope="teams",
        combine=contest.team_score,
        basis=contest.ranking.basis,
    )


async def _write_entries(
    conn: asyncpg.Connection, contest_id: int, changed: Sequence[scoring.Entry], gone: list[int]
) -> None:
    if gone:
        await conn.execute(
            "DELETE FROM contest_entries WHERE contest_id = $1 AND participant_id = ANY($2)",
            contest_id,
            gone,
        )
    if changed:
        await conn.execute(
            "INSERT INTO contest_entries (contest_id, participant_id, team_id, score, target,"
            " reached_at, reaching_event) SELECT $1, * FROM unnest($2::bigint[],"
            " $3::bigint[], $4::numeric[], $5::numeric[], $6::timestamptz[], $7::text[])"
            " ON CONFLICT (contest_id, participant_id)"
            " DO UPDATE SET team_id = EXCLUDED.team_id, score = EXCLUDED.score,"
            " target = EXCLUDED.target, reached_at = EXCLUDED.reached_at,"
            " reaching_event = EXCLUDED.reaching_event",
            contest_id,
            [e.participant for e in changed],
            [e.team for e in changed],
            [e.score for e in changed],
            [e.target for e in changed],
            [e.reached_at for e in changed],
            [e.reaching_event for e in changed],
        )


async def _write_standings(
    conn: asyncpg.Connection,
    contest_id: int,
    standings: Sequence[scoring.Standing],
    subjects: Iterable[int],
) -> None:
    """Write these standings; the other ``subjects`` no longer stand and are removed."""
    kept = {s.subject for s in standings}
    removed = sorted(set(subjects) - kept)
    if removed:
        await conn.execute(
            "DELETE FROM contest_standings WHERE contest_id = $1 AND subject_id = ANY($2)",
            contest_id,
            removed,
        )
    if standings:
        await conn.execute(
            "INSERT INTO contest_standings (contest_id, subject_id, score, target, value,"
            " reached_at, members, reaching_event) SELECT $1, * FROM unnest($2::bigint[],"
            " $3::numeric[], $4::numeric[], $5::numeric[], $6::timestamptz[], $7::int[],"
            " $8::text[]) ON CONFLICT (contest_id, subject_id) DO UPDATE SET"
            " score = EXCLUDED.score, target = EXCLUDED.target, value = EXCLUDED.value,"
            " reached_at = EXCLUDED.reached_at, members = EXCLUDED.members,"
            " reaching_event = EXCLUDED.reaching_event",
            contest_id,
            [s.subject for s in standings],
            [s.score for s in standings],
            [s.target for s in standings],
            [s.value for s in standings],
            [s.reached_at for s in standings],
            [s.members for s in standings],
            [s.reaching_event for s in standings],
        )


def standing_of(row: asyncpg.Record) -> scoring.Standing:
    """A ``contest_standings`` row, with its subject's ``external_id``, as a standing."""
    return scoring.Standing(
        row["subject_id"],
        row["score"],
        row["target"],
        row["value"],
        row["reached_at"],
        row["members"],
        row["reaching_event"],
        row["external_id"],
    )


def standings_sql(scope: str, some: bool, *more: str) -> str:
    """The query of a contest's standings ($1), or of some subjects' ($2), with what
    ``standing_of`` reads and ``more`` columns (``s``: the standing, ``n``: the subject)."""
    names = "teams" if scope == "teams" else "participants"
    columns = ", ".join(
        ("s.subject_id, s.score, s.target, s.value, s.reached_at, s.members", *more)
    )
    return (
        f"SELECT {columns}, s.reaching_event, n.external_id FROM contest_standings s"
        f" JOIN {names} n ON n.id = s.subject_id WHERE s.contest_id = $1"
        + (" AND s.subject_id = ANY($2::bigint[])" if some else "")
    )


async def ranked(conn: asyncpg.Connection, game: Stored) -> list[scoring.Ranked]:
    """The contest's whole board as stored, ranked."""
    rows = await conn.fetch(standings_sql(game.contest.scope, False), game.id)
    return scoring.rank(map(standing_of, rows), game.contest.ranking.tie_break)


async def snapshot_day(conn: asyncpg.Connection, game: Stored, today: dt.date) -> None:
    """Keep every subject's rank as the day's opening rank (movement is counted from it)."""
    board = await ranked(conn, game)
    await conn.execute(
        "UPDATE contest_standings s SET day_rank = u.rank FROM unnest($2::bigint[], $3::int[])"
        " AS u(subject, rank) WHERE s.contest_id = $1 AND s.subject_id = u.subject",
        game.id,
        [r.standing.subject for r in board],
        [r.rank for r in board],
    )
    await conn.execute("UPDATE contests SET ranks_day = $2 WHERE id = $1", game.id, today)
    await announce(conn, game.id, None)


async def rebuild(engine: AsyncEngine, contest_id: int, today: dt.date) -> bool:
    """Recompute a live contest whole and take the day's opening ranks; False if it is not
    live (any more)."""
    async with driver_transaction(engine) as conn:
        game = await lock(conn, contest_id)
        if game is None or game.status != "live":
            return False
        await refresh(conn, game, today)
        await snapshot_day(conn, game, today)
    return True


def _touches(contest: Contest, touched: Touched) -> set[int]:
    """The people an ingest touched inside this contest's window (or its target's period)."""
    window = contest.window
    people = touched.within(window.from_, window.to)
    target = contest.ranking.target
    if target is not None:
        people |= {pid for pid, period in touched.in_periods if period == target.period}
    return people


# Contests updated at once after an ingest: each holds a pooled connection meanwhile.
_AT_ONCE = 4


async def update_after_ingest(engine: AsyncEngine, touched: Touched, today: dt.date) -> int:
    """Update the live contests an ingest touched, a few at a time and each in its own
    transaction, so each board moves as soon as its update commits; returns how many were
    updated."""
    if not touched:
        return 0
    async with engine.connect() as sa_conn:
        rows = await (await driver_of(sa_conn)).fetch(
            f"SELECT {_COLUMNS} FROM contests WHERE status = 'live' ORDER BY id"
        )
    slots = asyncio.Semaphore(_AT_ONCE)

    async def update(contest_id: int, people: set[int]) -> bool:
        async with slots, driver_transaction(engine) as conn:
            # Standings are derived and rebuilt nightly: a crash may lose the last update
            # but never corrupts one, so the commit need not wait for the disk.
            await conn.execute("SET LOCAL synchronous_commit = off")
            game = await lock(conn, contest_id)
            if game is None or game.status != "live":
                return False
            await refresh(conn, game, today, people)
            return True

    work = [(row["id"], _touches(stored(row).contest, touched)) for row in rows]
    done = await asyncio.gather(*(update(c, people) for c, people in work if people))
    return sum(done)


async def update_in_background(engine: AsyncEngine, touched: Touched, today: dt.date) -> None:
    """``update_after_ingest`` for a background task: a failure is logged, never raised."""
    try:
        await update_after_ingest(engine, touched, today)
    except Exception:
        logger.exception("updating contest standings after an ingest failed")
