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

``FastReads`` does this for any ASGI server. Under uvicorn, ``FastReadsProtocol`` does it
one step earlier, as soon as the request's head is parsed: uvicorn would otherwise start
an asyncio task for the request and pass the page through two ASGI messages, which costs
more than everything else the request needs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from litestar import Litestar
from litestar.types import Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from incentives.api.games import PAGE_DEFAULT, PAGE_MAX, leaderboard_page, may_view
from incentives.api.security import RecentTokens, bearer_token
from incentives.games.live import Live

_PREFIX = "/api/v1/contests/"
_SUFFIX = "/leaderboard"


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
                "headers": _headers(body),
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


class FastReadsProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol (on its compiled parser), writing the pages
    ``FastReads`` can answer straight to the connection.

    Everything else goes the usual way, an ASGI task through the whole app (``FastReads``
    included), and so does every request while the client is not reading what it was
    sent or when the server keeps an access log (which logs each request on that way). The
    response is the one uvicorn would write for the same page: its own default headers
    (date, server) first, then the page's, and ``connection: close`` when the request
    asked for it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The app uvicorn was given, through whatever it wrapped it in (proxy headers).
        app: Any = self.app
        while app is not None and not isinstance(app, FastReads):
            app = getattr(app, "app", None)
        self.fast: FastReads | None = app

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        body = None
        if self.fast is not None and not (self.flow.write_paused or self.config.access_log):
            body = self.fast.answer(cycle.scope)
        if body is None:
            super()._start_asgi_task(cycle, app)
            return
        head = [b"HTTP/1.1 200 OK\r\n"]
        for name, value in [*self.server_state.default_headers, *_headers(body)]:
            head += [name, b": ", value, b"\r\n"]
        if not cycle.keep_alive:
            head.append(b"connection: close\r\n")
        self.transport.write(b"".join([*head, b"\r\n", body]))
        # As uvicorn's cycle does when an app has sent the last of its response.
        cycle.response_started = cycle.response_complete = True
        if not cycle.keep_alive:
            self.transport.close()
        self.on_response_complete()


def _headers(body: bytes) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]


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
