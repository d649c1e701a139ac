"""Contests and live leaderboards (the stream of a board is in ``board_stream``, period
leaderboards in ``period_boards``, achievements in ``achievements``).

Managers (and finance, admin) create and run contests; everyone reads public ones once
they are scheduled. A contest in test mode is seen only by the manager who made it and by
finance and admin, as is a draft by anyone but managers; a display (an office screen)
sees public contests under way or done. A contest nobody may see answers 404.
Leaderboards show names, ranks and percents of target; scores and targets only where the
reader may read that participant's pay (a display every row's).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Litestar, MediaType, Request, Response, Router, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.openapi import ResponseSpec
from litestar.params import Body, JSONBody, PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api.contract import problems
from incentives.api.deps import today
from incentives.api.paging import PAGE_DEFAULT, PAGE_HEADERS, Limit, Offset, paged
from incentives.api.security import ON_DISPLAY, roles
from incentives.auth.access import SEES_ALL, reads_a_line
from incentives.auth.principals import Principal
from incentives.auth.roles import Role
from incentives.bounds import MAX_KEY, Name, Word
from incentives.calc.read import ratio_text
from incentives.db.connection import driver_of, driver_transaction
from incentives.db.limits import as_number
from incentives.engine.money import exponent
from incentives.formats import Figure, Ratio
from incentives.games import catalogue, contests, display, live, scoring, standings
from incentives.games.approvals import Approval
from incentives.games.display import ContestStatus
from incentives.games.model import Contest, TotalScore
from incentives.instants import Instant, maybe_instant
from incentives.single_flight import SingleFlight

Conn = NamedDependency[asyncpg.Connection]
MANAGERS = roles(Role.MANAGER, Role.FINANCE, Role.ADMIN)
FINANCE = roles(Role.FINANCE, Role.ADMIN)
ContestRef = Annotated[str, PathParameter(description="the contest's id, or its key")]
NO_CONTEST = "No such contest"


# --- who sees and runs which contest ------------------------------------------------


def may_manage(principal: Principal, created_by: int | None) -> bool:
    """Whether the principal may change a contest: finance, admin, or its manager."""
    return principal.role in SEES_ALL or (
        principal.role == "manager" and created_by == principal.id
    )


async def _row(conn: asyncpg.Connection, ref: str, principal: Principal) -> asyncpg.Record:
    """The contest ``ref`` names (its id when all digits, else its key), if the principal
    may see it."""
    if (number := as_number(ref)) is not None:
        row = await conn.fetchrow(catalogue.ROW + " WHERE c.id = $1", number)
    else:
        row = await conn.fetchrow(catalogue.ROW + " WHERE c.key = $1", ref)
    if row is None or not catalogue.may_view(
        principal, row["status"], row["visibility"], row["created_by_id"]
    ):
        raise NotFoundException(NO_CONTEST)
    return row


async def _managed(conn: asyncpg.Connection, ref: str, principal: Principal) -> int:
    row = await _row(conn, ref, principal)
    if not may_manage(principal, row["created_by_id"]):
        raise PermissionDeniedException(
            "Only the contest's manager, finance or admin may change it"
        )
    return int(row["id"])


# --- contests ------------------------------------------------------------------------


class Window(msgspec.Struct):
    """Both days included."""

    from_: str = msgspec.field(name="from")
    to: str


class ContestView(msgspec.Struct):
    """A contest: where it stands and its definition (the contest file's content)."""

    id: int
    key: str
    name: str
    status: str
    visibility: str
    window: Window
    participants: int
    created_by: str
    revision: int
    definition: dict[str, Any]
    # Finance's approval of its cash prizes: pending (it does not go live until given),
    # approved, or null when none is needed.
    approval: Approval | None
    created_at: Instant | None
    updated_at: Instant | None
    live_at: Instant | None
    frozen_at: Instant | None
    awarded_at: Instant | None
    cancelled_at: Instant | None


def _view(row: asyncpg.Record) -> ContestView:
    return ContestView(
        id=row["id"],
        key=row["key"],
        name=row["name"],
        status=row["status"],
        visibility=row["visibility"],
        window=Window(row["starts_on"].isoformat(), row["ends_on"].isoformat()),
        participants=row["participants"],
        created_by=row["created_by"],
        revision=row["revision"],
        definition=row["definition"],
        approval=row["approval"],
        **{
            name: maybe_instant(row[name])
            for name in ("created_at", "updated_at", "live_at", "frozen_at", "awarded_at")
        },
        cancelled_at=maybe_instant(row["cancelled_at"]),
    )


Definition = Annotated[
    dict[str, Any], Body(description="a contest, as in a contest file (kind may be left out)")
]


def _maker(state: State, request: Request[Principal, Any, Any]) -> contests.Maker:
    return contests.Maker(request.user, today(), state.prize_limits)


@post("/contests", guards=[MANAGERS], status_code=201, responses=problems(409, 422))
async def create_contest(
    state: State, request: Request[Principal, Any, Any], data: Definition
) -> ContestView:
    """Create a contest as a draft; 422 naming each bad field (a cash prize above the
    limit, an unknown team or participant, a manager's contest reaching beyond their
    reporting line), 409 if its key is taken. A manager's cash prize above the approval
    threshold waits for finance (``approval``: ``pending``)."""
    async with driver_transaction(state.engine) as conn:
        contest_id = await contests.create(
            conn, data, request.user.actor(), maker=_maker(state, request)
        )
        return _view(await _row(conn, str(contest_id), request.user))


@get("/contests", opt=ON_DISPLAY, response_headers=PAGE_HEADERS)
async def list_contests(
    conn: Conn,
    request: Request[Principal, Any, Any],
    status: Annotated[
        ContestStatus | None, QueryParameter(description="only contests in this state")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response[list[ContestView]]:
    """The contests you may see, newest window first."""
    rows, total = await catalogue.listing(conn, request.user, status, limit=limit, offset=offset)
    return paged(request, [_view(r) for r in rows], total, limit, offset)


@get("/contests/{contest:str}", opt=ON_DISPLAY)
async def get_contest(
    conn: Conn, request: Request[Principal, Any, Any], contest: ContestRef
) -> ContestView:
    """A contest."""
    return _view(await _row(conn, contest, request.user))


@put("/contests/{contest:str}", guards=[MANAGERS], responses=problems(409, 422))
async def edit_contest(
    state: State, request: Request[Principal, Any, Any], contest: ContestRef, data: Definition
) -> ContestView:
    """Replace a draft or scheduled contest's definition (409 once it is live), checked as
    at creation; a cash prize that needs finance's approval asks for it again."""
    async with driver_transaction(state.engine) as conn:
        contest_id = await _managed(conn, contest, request.user)
        await contests.replace(
            conn, contest_id, data, request.user.actor(), maker=_maker(state, request)
        )
        return _view(await _row(conn, str(contest_id), request.user))


@post(
    "/contests/{contest:str}/schedule", guards=[MANAGERS], status_code=200, responses=problems(409)
)
async def schedule_contest(
    state: State, request: Request[Principal, Any, Any], contest: ContestRef
) -> ContestView:
    """Schedule a draft: it goes live on its first day (at once if that has come)."""
    day = today()
    async with driver_transaction(state.engine) as conn:
        contest_id = await _managed(conn, contest, request.user)
        await contests.schedule(conn, contest_id, request.user.actor(), day)
    await contests.start(state.engine, contest_id, day, request.user.actor())
    async with state.engine.connect() as sa_conn:
        return _view(await _row(await driver_of(sa_conn), str(contest_id), request.user))


@post("/contests/{contest:str}/cancel", guards=[MANAGERS], status_code=200, responses=problems(409))
async def cancel_contest(
    state: State, request: Request[Principal, Any, Any], contest: ContestRef
) -> ContestView:
    """Call a draft, scheduled or live contest off; nothing is awarded."""
    async with driver_transaction(state.engine) as conn:
        contest_id = await _managed(conn, contest, request.user)
        await contests.cancel(conn, contest_id, request.user.actor())
        return _view(await _row(conn, str(contest_id), request.user))


@post(
    "/contests/{contest:str}/approve",
    guards=[FINANCE],
    status_code=200,
    responses=problems(409),
)
async def approve_contest(
    state: State, request: Request[Principal, Any, Any], contest: ContestRef
) -> ContestView:
    """Approve a contest's cash prizes (finance, admin): a scheduled contest then goes
    live on its first day, at once if that has come. 409 if it does not wait for an
    approval."""
    day = today()
    async with driver_transaction(state.engine) as conn:
        contest_id = int((await _row(conn, contest, request.user))["id"])
        await contests.approve(conn, contest_id, request.user.actor())
    await contests.start(state.engine, contest_id, day, request.user.actor())
    async with state.engine.connect() as sa_conn:
        return _view(await _row(await driver_of(sa_conn), str(contest_id), request.user))


class CloneRequest(msgspec.Struct, forbid_unknown_fields=True):
    """What the copy changes: its key (default: the original's with ``-copy``), its name,
    its window."""

    key: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_KEY)] | None = None
    name: Name | None = None
    window: Annotated[dict[Word, Word], msgspec.Meta(max_length=2)] | None = None


@post(
    "/contests/{contest:str}/clone",
    guards=[MANAGERS],
    status_code=201,
    responses=problems(409, 422),
)
async def clone_contest(
    state: State,
    request: Request[Principal, Any, Any],
    contest: ContestRef,
    data: JSONBody[CloneRequest | None] = None,
) -> ContestView:
    """A new draft with this contest's definition, yours to edit."""
    changes = {} if data is None else {k: v for k, v in msgspec.to_builtins(data).items() if v}
    async with driver_transaction(state.engine) as conn:
        original = await _row(conn, contest, request.user)
        contest_id = await contests.clone(
            conn, original["id"], request.user.actor(), changes, _maker(state, request)
        )
        return _view(await _row(conn, str(contest_id), request.user))


class Participation(msgspec.Struct):
    """Someone taking part, with their team and score."""

    participant: str
    name: str
    team: str | None
    score: Figure


@get("/contests/{contest:str}/participants", guards=[MANAGERS])
async def participation(
    conn: Conn, request: Request[Principal, Any, Any], contest: ContestRef
) -> list[Participation]:
    """Who takes part (the contest's manager, finance, admin)."""
    contest_id = await _managed(conn, contest, request.user)
    game = await standings.load(conn, contest_id)
    assert game is not None
    rows = await conn.fetch(
        "SELECT p.external_id, p.name, t.external_id AS team, e.score FROM contest_entries e"
        " JOIN participants p ON p.id = e.participant_id LEFT JOIN teams t ON t.id = e.team_id"
        " WHERE e.contest_id = $1 ORDER BY p.name, p.external_id",
        contest_id,
    )
    return [
        Participation(r["external_id"], r["name"], r["team"], score_text(game.contest, r["score"]))
        for r in rows
    ]


# --- leaderboards --------------------------------------------------------------------


class BoardRow(msgspec.Struct, omit_defaults=True):
    """A place on a leaderboard. ``movement``: places gained since the day's opening
    ranks (negative: lost); ``of_target``: the score as a fraction of the target (four
    places, like every ratio in the API), when there is one. ``score`` and ``target``
    only where you may read that participant's pay (a team's: every member's), as on the
    period leaderboards; a display sees every row's."""

    rank: int
    subject: str
    name: str
    score: Figure | None = None
    target: Figure | None = None
    of_target: Ratio | None = None
    movement: int | None = None
    members: int | None = None


class Leaderboard(msgspec.Struct):
    """A contest's standings: a page of them, and yours."""

    contest: str
    name: str
    status: str
    scope: str
    ranked_on: str
    unit: str
    subjects: int
    opening_ranks_of: str | None
    rows: list[BoardRow]
    me: BoardRow | None


def _unit(contest: Contest) -> str:
    score = contest.score
    if contest.is_money:
        return str(contest.currency)
    if isinstance(score, TotalScore):
        return score.source if score.aggregate == "count" else "quantity"
    return "points"


def score_text(contest: Contest, value: Decimal) -> str:
    """A score as text: an amount in its currency's places, a count as it is."""
    if contest.is_money and contest.currency:
        places = Decimal(1).scaleb(-exponent(contest.currency))
        return str(value.quantize(places, rounding=ROUND_HALF_UP))
    return f"{value.normalize():f}"


Shown = Callable[[int], bool]


def board_row(board: live.LiveBoard, item: scoring.Ranked, shown: Shown) -> BoardRow:
    """A ranked standing as a row of the board, with its figures if they are ``shown``."""
    standing = item.standing
    subject, name = board.labels.get(standing.subject, (str(standing.subject), ""))
    figures = shown(standing.subject)
    return BoardRow(
        rank=item.rank,
        subject=subject,
        name=name,
        score=score_text(board.contest, standing.score) if figures else None,
        target=None
        if standing.target is None or not figures
        else score_text(board.contest, standing.target),
        of_target=ratio_text(standing.percent),
        movement=scoring.movement(board.day_ranks, standing.subject, item.rank),
        members=standing.members if board.contest.scope == "teams" else None,
    )


def row_of(board: live.LiveBoard, subject: int | None, shown: Shown) -> BoardRow | None:
    """A subject's row, if it is on the board."""
    if subject is None:
        return None
    standing = board.board.get(subject)
    rank = board.board.rank_of(subject)
    if standing is None or rank is None:
        return None
    return board_row(board, scoring.Ranked(rank, standing), shown)


def leaderboard_of(
    board: live.LiveBoard, offset: int, limit: int, me: int | None, shown: Shown
) -> Leaderboard:
    """A page of the board, with the row of ``me``."""
    contest = board.contest
    return Leaderboard(
        contest=board.key,
        name=board.name,
        status=board.status,
        scope=contest.scope,
        ranked_on=contest.ranking.basis,
        unit=_unit(contest),
        subjects=len(board.board),
        opening_ranks_of=None if board.ranks_day is None else board.ranks_day.isoformat(),
        rows=[board_row(board, r, shown) for r in board.board.page(offset, limit)],
        me=row_of(board, me, shown),
    )


async def visible_board(
    state: State, request: Request[Principal, Any, Any], ref: str
) -> live.LiveBoard:
    """The board ``ref`` names, if the reader may see it (404 otherwise)."""
    boards: live.Live = state.live
    ids: ContestIds = state.contest_ids
    contest_id = await ids.resolve(ref)
    board = None if contest_id is None else await boards.board(state.engine, contest_id)
    if board is None or not catalogue.may_view(
        request.user, board.status, board.visibility, board.created_by_id
    ):
        raise NotFoundException(NO_CONTEST)
    return board


class ContestIds:
    """Contests' ids from the references in their paths (the id itself, or the key), each
    key looked up once by concurrent readers and then kept: a contest's key never changes."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._ids: dict[str, int] = {}
        self._lookups: SingleFlight[str, int | None] = SingleFlight()

    def known(self, ref: str) -> int | None:
        """The id ``ref`` names, if that is known without asking the database."""
        return as_number(ref) if ref.isascii() and ref.isdigit() else self._ids.get(ref)

    async def resolve(self, ref: str) -> int | None:
        """The id ``ref`` names; None if no contest has that key."""
        found = self.known(ref)
        if found is None:
            found = await self._lookups.fetch(ref, lambda: self._lookup(ref))
            if found is not None:
                self._ids[ref] = found
        return found

    async def _lookup(self, key: str) -> int | None:
        async with self._engine.connect() as sa_conn:
            found = await (await driver_of(sa_conn)).fetchval(
                "SELECT id FROM contests WHERE key = $1", key
            )
        return None if found is None else int(found)


@get(
    "/contests/{contest:str}/leaderboard",
    opt=ON_DISPLAY,
    responses={
        200: ResponseSpec(Leaderboard, description="Request fulfilled", generate_examples=False)
    },
)
async def leaderboard(
    state: State,
    request: Request[Principal, Any, Any],
    contest: ContestRef,
    limit: Limit = PAGE_DEFAULT,
    offset: Offset = 0,
) -> Response[bytes]:
    """A page of the contest's standings (rank, who, score, percent of target, movement
    since the day's opening ranks), and your own place; scores and targets only where you
    may read that participant's pay."""
    board = await visible_board(state, request, contest)
    visible = await figures_of(state, request.user)
    return Response(
        content=leaderboard_page(board, request.user, offset, limit, visible),
        media_type=MediaType.JSON,
    )


async def figures_of(state: State, reader: Principal) -> frozenset[int] | None:
    """Whose figures the reader sees on a board (None: everyone's), as on the period
    leaderboards; the database is asked only for a manager's reporting line."""
    if reads_a_line(reader):
        async with state.engine.connect() as sa_conn:
            found = await display.figures_shown(await driver_of(sa_conn), reader, today())
    else:
        found = display.figures_at_once(reader)
    return None if found is None else frozenset(found)


def leaderboard_page(
    board: live.LiveBoard,
    reader: Principal,
    offset: int,
    limit: int,
    visible: frozenset[int] | None,
) -> bytes:
    """A page of the board as its JSON body, with the reader's own place and the figures
    of ``visible`` (None: everyone's); kept encoded until the board changes."""
    me = board.subject_of(reader.participant_id)
    return board.page(
        (offset, limit, me, visible),
        lambda: msgspec.json.encode(
            leaderboard_of(board, offset, limit, me, board.figures(visible))
        ),
    )


games_router = Router(
    path="/api/v1",
    route_handlers=[
        create_contest,
        list_contests,
        get_contest,
        edit_contest,
        schedule_contest,
        cancel_contest,
        approve_contest,
        clone_contest,
        participation,
        leaderboard,
    ],
)


@contextlib.asynccontextmanager
async def live_boards(app: Litestar) -> AsyncIterator[None]:
    """App lifespan: the process's live boards listen while the app runs."""
    async with live.listening(app.state.live, app.state.engine):
        yield
