"""Leaderboard pages answered in front of the framework, when everything is at hand.

A contest's leaderboard is the most read thing in the product (every rep's phone and every
TV on the floor) and, with the board kept in memory and the page kept encoded, answering
it costs almost nothing; the framework's routing, middleware and parameter handling
around it cost fifty times more. So a GET for a leaderboard page is answered here when,
and only when, every part of the answer is already known to be good: a token the
authentication middleware accepted within the last seconds (``RecentTokens``), a board
kept current by the process's listener, a contest the reader may see and a query of
nothing but valid ``limit`` and ``offset``. Anything else (no or unknown token, a board
not loaded, a contest hidden from the reader, an odd query, another method or path) goes
to the app, which answers it fully, with the same rules. The body is the one the app's
handler returns (``leaderboard_page``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from litestar import Litestar
from litestar.types import Receive, Scope, Send

from incentives.api.games import PAGE_DEFAULT, PAGE_MAX, leaderboard_page, may_view
from incentives.api.security import RecentTokens, bearer_token
from incentives.games.live import Live

_PREFIX = "/api/v1/contests/"
_SUFFIX = "/leaderboard"
_HEADERS = [(b"content-type", b"application/json")]


class FastReads:
    """The app, with leaderboard pages it can answer from memory answered directly."""

    def __init__(self, app: Litestar) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI: a leaderboard page from memory, or the app."""
        body = self.answer(scope)
        if body is None:
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [*_HEADERS, (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body, "more_body": False})

    def answer(self, scope: Any) -> bytes | None:
        """The page this request asks for, if it can be answered here; None to pass it on."""
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        path: str = scope["path"]
        if not (path.startswith(_PREFIX) and path.endswith(_SUFFIX)):
            return None
        ref = path[len(_PREFIX) : -len(_SUFFIX)]
        if not ref or "/" in ref:
            return None
        window = _window(scope["query_string"])
        if window is None:
            return None
        state = self.app.state
        header = next((v for n, v in scope["headers"] if n == b"authorization"), b"")
        token = bearer_token(header.decode("latin-1"))
        recent: RecentTokens = state.tokens
        principal = None if token is None else recent.get(token)
        if principal is None:
            return None
        contest_id = int(ref) if ref.isdigit() else state.contest_ids.get(ref)
        boards: Live = state.live
        board = None if contest_id is None else boards.kept(contest_id)
        if board is None or not may_view(
            principal, board.status, board.visibility, board.created_by_id
        ):
            return None
        return leaderboard_page(board, principal, *window)


def _window(query: bytes) -> tuple[int, int] | None:
    """(offset, limit) from a query holding only valid ones; None for anything else."""
    offset, limit = 0, PAGE_DEFAULT
    seen: set[str] = set()
    for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if key in seen or not (value.isascii() and value.isdigit()) or len(value) > 9:
            return None
        seen.add(key)
        if key == "offset":
            offset = int(value)
        elif key == "limit" and 1 <= int(value) <= PAGE_MAX:
            limit = int(value)
        else:
            return None
    return offset, limit
