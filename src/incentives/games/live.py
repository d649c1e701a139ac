"""Live leaderboards in each API process: boards kept in memory, moved by announcements.

One connection per process listens to ``standings_changed`` (and ``results_changed``, for
the period leaderboards). A board is loaded whole the first time it is read, then kept up
to date by re-reading only the subjects an announcement names, and every subscriber of
its stream (an asyncio queue each, never a database connection each) is told what moved.
Boards and cached period leaderboards are used only while the process is listening:
before the listener is up or after its connection is lost, every read goes to the
database, so a missed announcement never serves a stale board.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.background import running
from incentives.calc import changes as results_changes
from incentives.calc.copies import ResultsCache
from incentives.db.connection import driver_of
from incentives.db.listen import listen
from incentives.games import scoring, standings
from incentives.games.model import Contest
from incentives.single_flight import SingleFlight

log = logging.getLogger(__name__)
# The bucket period leaderboards are kept under: they belong to no one participant.
_EVERYONE = 0
# Encoded pages kept per board: readers' own places make one each.
_MAX_PAGES = 10_000
T = TypeVar("T")
# A page of a board: offset, limit, the reader's own place, whose figures they see.
PageKey = tuple[int, int, int | None, frozenset[int] | None]
# Updates a slow stream client may fall behind by before it is sent a fresh snapshot.
_QUEUE = 64


@dataclass
class LiveBoard:
    """A contest's ranked standings with the names and opening ranks to show them."""

    id: int
    key: str
    name: str
    status: str
    visibility: str
    created_by_id: int | None
    contest: Contest
    ranks_day: Any
    board: scoring.Board
    labels: dict[int, tuple[str, str]] = field(default_factory=dict)
    day_ranks: dict[int, int] = field(default_factory=dict)
    # Team contests: each participant's team, so that a reader finds their own row.
    teams: dict[int, int] = field(default_factory=dict)
    # Encoded pages as readers asked for them (by offset, limit, their own place and whose
    # figures they see): the board changes far less often than it is read. Emptied
    # whenever the board changes.
    pages: dict[PageKey, bytes] = field(default_factory=dict)

    def page(self, key: PageKey, render: Callable[[], bytes]) -> bytes:
        """The encoded page for ``key``, rendered once per state of the board."""
        found = self.pages.get(key)
        if found is None:
            if len(self.pages) >= _MAX_PAGES:
                self.pages.clear()
            found = self.pages[key] = render()
        return found

    def figures(self, visible: frozenset[int] | None) -> Callable[[int], bool]:
        """Whether a subject's figures show to a reader who may read the pay of
        ``visible`` (None: everyone's): a participant's if they are in it, a team's if
        every member is."""
        if visible is None:
            return lambda _subject: True
        if self.contest.scope == "individuals":
            return visible.__contains__
        whole: dict[int, bool] = {}
        for person, team in self.teams.items():
            whole[team] = whole.get(team, True) and person in visible
        return lambda team: whole.get(team, False)

    def subject_of(self, participant: int | None) -> int | None:
        """The participant's place on this board: themselves, or their team."""
        if participant is None or self.contest.scope == "individuals":
            return participant
        return self.teams.get(participant)


_HEAD = (
    "SELECT c.id, c.key, c.name, c.status, c.visibility, c.created_by_id, c.revision,"
    " c.created_at, c.definition, c.ranks_day FROM contests c WHERE c.id = $1"
)


def _rows_sql(scope: str, some: bool) -> str:
    return standings.standings_sql(scope, some, "s.day_rank", "n.name")


async def load_board(conn: asyncpg.Connection, contest_id: int) -> LiveBoard | None:
    """A contest's board read whole from the database."""
    head = await conn.fetchrow(_HEAD, contest_id)
    if head is None:
        return None
    game = standings.stored(head)
    live = LiveBoard(
        head["id"],
        head["key"],
        head["name"],
        head["status"],
        head["visibility"],
        head["created_by_id"],
        game.contest,
        head["ranks_day"],
        scoring.Board(game.contest.ranking.tie_break),
    )
    _apply(live, await conn.fetch(_rows_sql(game.contest.scope, False), contest_id), None)
    if game.contest.scope == "teams":
        await _read_teams(conn, live, None)
    return live


async def _read_teams(conn: asyncpg.Connection, live: LiveBoard, teams: list[int] | None) -> None:
    rows = (
        await conn.fetch(_MEMBERS, live.id)
        if teams is None
        else await conn.fetch(_MEMBERS + " AND team_id = ANY($2::bigint[])", live.id, teams)
    )
    live.teams.update((r["participant_id"], r["team_id"]) for r in rows)


_MEMBERS = "SELECT participant_id, team_id FROM contest_entries WHERE contest_id = $1"


def _apply(live: LiveBoard, rows: list[asyncpg.Record], asked: frozenset[int] | None) -> None:
    live.pages.clear()
    found = []
    for row in rows:
        live.labels[row["subject_id"]] = (row["external_id"], row["name"])
        if row["day_rank"] is not None:
            live.day_ranks[row["subject_id"]] = row["day_rank"]
        found.append(standings.standing_of(row))
    live.board.put(found)
    if asked is not None:
        live.board.drop(asked - {s.subject for s in found})


@dataclass(frozen=True)
class Before:
    """A subject's place and score on the board just before a move."""

    rank: int
    score: Decimal


@dataclass(frozen=True)
class Update:
    """What moved on a board: these subjects, or (None) possibly all of it; or, with
    ``closing``, nothing more: the process is stopping and the stream ends. ``before``:
    where each moved subject stood just before (absent: it was not on the board), so
    that a screen can say who climbed and by how much."""

    subjects: frozenset[int] | None
    closing: bool = False
    before: Mapping[int, Before] = field(default_factory=dict)


class Subscriber:
    """One stream client's queue of updates."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Update] = asyncio.Queue(_QUEUE)

    def tell(self, update: Update) -> None:
        """Queue an update; one that falls too far behind gets a fresh snapshot instead."""
        try:
            self.queue.put_nowait(update)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(Update(None))

    def close(self) -> None:
        """End the stream: what is queued is dropped, its client reconnects elsewhere."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(Update(None, closing=True))


def _before(live: LiveBoard, subjects: frozenset[int]) -> dict[int, Before]:
    found = {}
    for subject in subjects:
        standing, rank = live.board.get(subject), live.board.rank_of(subject)
        if standing is not None and rank is not None:
            found[subject] = Before(rank, standing.score)
    return found


@dataclass
class _Refresh:
    """A board's pending re-reads: subjects, or None for the whole board."""

    pending: set[int] | None = field(default_factory=set)
    running: bool = False


class Live:
    """This process's live boards, their stream subscribers, and cached period reads."""

    def __init__(self) -> None:
        self.listening = False
        self._engine: AsyncEngine | None = None
        self._boards: dict[int, LiveBoard] = {}
        self._refresh: dict[int, _Refresh] = {}
        self._subscribers: dict[int, set[Subscriber]] = {}
        # Period leaderboards rank everyone: any run's change drops them all.
        self._periods = ResultsCache()
        # Announcements heard per contest: a board read while one arrived is not kept.
        self._heard: dict[int, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._loading: SingleFlight[int, LiveBoard | None] = SingleFlight()

    async def board(self, engine: AsyncEngine, contest_id: int) -> LiveBoard | None:
        """The contest's board: the kept one while listening, else read now (one read at
        a time per board: readers arriving meanwhile wait for it rather than read again)."""
        kept = self.kept(contest_id)
        if kept is not None:
            return kept
        return await self._loading.fetch(contest_id, lambda: self._load(engine, contest_id))

    def kept(self, contest_id: int) -> LiveBoard | None:
        """The board kept in memory, while listening keeps it current; else None."""
        return self._boards.get(contest_id) if self.listening else None

    async def _load(self, engine: AsyncEngine, contest_id: int) -> LiveBoard | None:
        listening, heard = self.listening, self._heard.get(contest_id, 0)
        async with engine.connect() as sa_conn:
            live = await load_board(await driver_of(sa_conn), contest_id)
        unchanged = heard == self._heard.get(contest_id, 0)
        if live is not None and listening and self.listening and unchanged:
            self._boards.setdefault(contest_id, live)
        return live

    def subscribe(self, contest_id: int) -> Subscriber:
        """A new subscriber to a contest's updates."""
        subscriber = Subscriber()
        self._subscribers.setdefault(contest_id, set()).add(subscriber)
        return subscriber

    def unsubscribe(self, contest_id: int, subscriber: Subscriber) -> None:
        """Stop telling a subscriber."""
        found = self._subscribers.get(contest_id)
        if found is not None:
            found.discard(subscriber)
            if not found:
                del self._subscribers[contest_id]

    def close_streams(self) -> None:
        """End every open stream now (on a stop): a board left open on a TV would
        otherwise hold the stop up until the server's grace period runs out."""
        for subscribers in self._subscribers.values():
            for subscriber in subscribers:
                subscriber.close()

    async def period_read(self, key: Hashable, fetch: Callable[[], Awaitable[T]]) -> T:
        """A period leaderboard: the kept copy while no run has changed results."""
        return await self._periods.read(_EVERYONE, key, fetch)

    def _results_changed(self, *_: object) -> None:
        self._periods.changed(results_changes.Change(None))

    def _standings_changed(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        change = standings.parse(str(payload))
        if change is None:
            self._forget_all()
            return
        self._heard[change.contest] = self._heard.get(change.contest, 0) + 1
        if change.contest not in self._boards and change.contest not in self._subscribers:
            return
        refresh = self._refresh.setdefault(change.contest, _Refresh())
        if change.subjects is None or refresh.pending is None:
            refresh.pending = None
        else:
            refresh.pending |= change.subjects
        if not refresh.running:
            refresh.running = True
            task = asyncio.create_task(self._refresh_board(change.contest, refresh))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _refresh_board(self, contest_id: int, refresh: _Refresh) -> None:
        """Re-read what announcements named, one read at a time per board, until caught up."""
        try:
            while refresh.pending is None or refresh.pending:
                asked, refresh.pending = refresh.pending, set()
                assert self._engine is not None
                async with self._engine.connect() as sa_conn:
                    conn = await driver_of(sa_conn)
                    live = self._boards.get(contest_id)
                    if asked is None or live is None:
                        fresh = await load_board(conn, contest_id)
                        if fresh is None:
                            self._boards.pop(contest_id, None)
                        else:
                            self._boards[contest_id] = fresh
                        update = Update(None)
                    else:
                        subjects = frozenset(asked)
                        before = _before(live, subjects)
                        rows = await conn.fetch(
                            _rows_sql(live.contest.scope, True), contest_id, sorted(subjects)
                        )
                        _apply(live, rows, subjects)
                        if live.contest.scope == "teams":
                            await _read_teams(conn, live, sorted(subjects))
                        update = Update(subjects, before=before)
                for subscriber in list(self._subscribers.get(contest_id, ())):
                    subscriber.tell(update)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("live board %s could not be re-read: %s", contest_id, exc)
            self._boards.pop(contest_id, None)
        finally:
            refresh.running = False

    def _forget_all(self) -> None:
        self._boards.clear()
        self._results_changed()
        for subscribers in self._subscribers.values():
            for subscriber in subscribers:
                subscriber.tell(Update(None))

    async def listen(self, engine: AsyncEngine) -> None:
        """Listen for announcements for as long as the task runs (see ``db.listen``)."""
        self._engine = engine
        await listen(
            engine,
            {
                standings.CHANNEL: self._standings_changed,
                results_changes.CHANNEL: self._results_changed,
            },
            up=self._up,
            down=self._down,
            name="live boards' listener",
        )

    def _up(self) -> None:
        self.listening = self._periods.listening = True

    def _down(self) -> None:
        self.listening = self._periods.listening = False
        self._forget_all()


@contextlib.asynccontextmanager
async def listening(live: Live, engine: AsyncEngine) -> AsyncIterator[None]:
    """Keep ``live`` listening while the block runs (the app's lifespan)."""
    async with running(live.listen(engine)):
        yield
