"""A contest board's stream of Server-Sent Events, which keeps boards and TVs moving.

First a ``leaderboard`` event (the top ten and the reader's own row), then a
``standings`` event each time the board moves. Each row of a ``standings`` event's
``changes`` also says where that subject stood just before (``previous_rank``,
``previous_score``) and what it gained (``gained``, in the board's unit), so a screen can
celebrate the deal that moved the board. Those fields are added, never renamed: clients
that ignore them read the stream as before.

The stream ends when the reader's token stops opening its user: it is checked every
``_TOKEN_CHECK_SECONDS`` (through the process's token cache, which forgets a revoked
token as soon as its revocation is announced), so a revoked or expired token stops
receiving the board within a few seconds rather than for as long as the connection lasts.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, Literal

import msgspec
from litestar import Request, Router, get
from litestar.datastructures import State
from litestar.openapi import ResponseSpec
from litestar.response import ServerSentEvent, ServerSentEventMessage

from incentives.api.games import (
    BoardRow,
    ContestRef,
    Shown,
    board_row,
    figures_of,
    leaderboard_of,
    row_of,
    score_text,
    visible_board,
)
from incentives.api.security import ON_DISPLAY, RecentTokens, bearer_token
from incentives.auth.principals import Principal
from incentives.games import live

_KEEP_ALIVE_SECONDS = 15.0
_TOKEN_CHECK_SECONDS = 2.0
_STREAM_TOP = 10


class Change(BoardRow, omit_defaults=True):
    """A row that moved: where it stands now, where it stood just before (no previous
    rank: it was not on the board) and the score it gained (negative: lost)."""

    previous_rank: int | None = None
    previous_score: str | None = None
    gained: str | None = None


class Standings(msgspec.Struct):
    """What moved: the subjects whose standings changed, the top of the board, and you."""

    contest: str
    status: str
    changes: list[Change]
    top: list[BoardRow]
    me: BoardRow | None


class StreamEvent(msgspec.Struct):
    """One event of the stream, as its description gives it (OpenAPI 3.1 readers take a
    ``text/event-stream`` schema to describe each event): ``leaderboard``, whose data is
    the board as ``GET …/leaderboard`` answers it, or ``standings``, whose data is a
    ``Standings``; the data is JSON text."""

    event: Literal["leaderboard", "standings"]
    data: str


def _event(name: str, payload: Any) -> ServerSentEventMessage:
    return ServerSentEventMessage(data=msgspec.json.encode(payload).decode(), event=name)


def changes(board: live.LiveBoard, update: live.Update, shown: Shown) -> list[Change]:
    """The rows an update names, each with where it stood before the update (its scores
    only if its figures are ``shown``)."""
    found = []
    for subject in sorted(update.subjects or ()):
        row = row_of(board, subject, shown)
        standing = board.board.get(subject)
        if row is None or standing is None:
            continue
        was = update.before.get(subject)
        change = Change(**msgspec.structs.asdict(row))
        if was is not None:
            change.previous_rank = was.rank
        if shown(subject):
            gained = standing.score if was is None else standing.score - was.score
            change.gained = score_text(board.contest, gained)
            if was is not None:
                change.previous_score = score_text(board.contest, was.score)
        found.append(change)
    return found


@get(
    "/contests/{contest:str}/leaderboard/stream",
    opt=ON_DISPLAY,
    # Litestar would document the stream as JSON of any shape.
    responses={
        200: ResponseSpec(
            StreamEvent,
            description="A stream of Server-Sent Events, each of this shape",
            media_type="text/event-stream",
            generate_examples=False,
        )
    },
)
async def leaderboard_stream(
    state: State, request: Request[Principal, Any, Any], contest: ContestRef
) -> ServerSentEvent:
    """Server-Sent Events: a ``leaderboard`` event with the top of the board, then a
    ``standings`` event each time standings change (those that moved, with where they
    stood before and what they gained; the top ten; and you); a fresh ``leaderboard``
    when too much moved at once."""
    board = await visible_board(state, request, contest)
    me = board.subject_of(request.user.participant_id)
    visible = await figures_of(state, request.user)
    boards: live.Live = state.live
    recent: RecentTokens = state.tokens
    # Authentication let the request in, so the header holds a token.
    token = bearer_token(request.headers.get("authorization", "")) or ""
    subscriber = boards.subscribe(board.id)

    async def events() -> AsyncIterator[ServerSentEventMessage]:
        loop = asyncio.get_running_loop()
        try:
            shown = board.figures(visible)
            yield _event("leaderboard", leaderboard_of(board, 0, _STREAM_TOP, me, shown))
            quiet_since = loop.time()
            while True:
                try:
                    update = await asyncio.wait_for(subscriber.queue.get(), _TOKEN_CHECK_SECONDS)
                except TimeoutError:
                    update = None
                if not isinstance(await recent.check(token), Principal):
                    return
                if update is None:
                    if loop.time() - quiet_since >= _KEEP_ALIVE_SECONDS:
                        quiet_since = loop.time()
                        yield ServerSentEventMessage(comment="keep-alive")
                    continue
                quiet_since = loop.time()
                current = None if update.closing else await boards.board(state.engine, board.id)
                if current is None:
                    return
                shown = current.figures(visible)
                if update.subjects is None:
                    yield _event("leaderboard", leaderboard_of(current, 0, _STREAM_TOP, me, shown))
                    continue
                yield _event(
                    "standings",
                    Standings(
                        contest=current.key,
                        status=current.status,
                        changes=changes(current, update, shown),
                        top=[
                            board_row(current, r, shown) for r in current.board.page(0, _STREAM_TOP)
                        ],
                        me=row_of(current, me, shown),
                    ),
                )
        finally:
            boards.unsubscribe(board.id, subscriber)

    return ServerSentEvent(events())


board_stream_router = Router(path="/api/v1", route_handlers=[leaderboard_stream])
