"""The most read pages answered in front of the framework, when everything is at hand.

A contest's leaderboard (every rep's phone and every TV on the floor) and a rep's own
attainment and earnings are read far more often than they change, and each process keeps
them encoded: the board's pages until the board moves, a rep's own reads until a run
announces that their results changed. Answering such a read then costs almost nothing;
the framework's routing, middleware and parameter handling around it cost fifty times
more. So a GET for one is answered here when, and only when, every part of the answer is
already known to be good: a token the authentication middleware accepted within the last
seconds (``RecentTokens``) and, for a leaderboard, a board kept current by the process's
listener, a contest the reader may see, a reader whose figures on it are known without
the database (anyone but a manager, whose are their reporting line's) and a query of
nothing but valid ``limit`` and ``offset``; for one's own pay, a copy the app itself kept
for that reader and a query of nothing but a period label. Anything else (no or unknown
token, nothing kept, a contest hidden from the reader, a manager, an odd query, another
method or path) goes to the app, which answers it fully, with the same rules. The body is
the one the app's handler returns (``leaderboard_page``, and the very bytes ``pay._mine``
kept).

``FastReads`` does this for any ASGI server. Under uvicorn, ``FastReadsProtocol`` does it
one step earlier, as soon as the request's head is parsed: uvicorn would otherwise start
an asyncio task for the request and pass the page through two ASGI messages, which costs
more than everything else the request needs.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qsl

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import HTTPScope, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from incentives import metrics
from incentives.api.answer_headers import HEADERS, PREFIX, securing
from incentives.api.games import ContestIds, leaderboard_page
from incentives.api.paging import PAGE_DEFAULT, PAGE_MAX
from incentives.api.pay import OWN_READS, own_copy
from incentives.api.security import RecentTokens, bearer_token
from incentives.auth.access import reads_a_line
from incentives.auth.principals import Principal
from incentives.games import catalogue, display
from incentives.games.live import Live

_ME = "/api/v1/me/"
_PREFIX = "/api/v1/contests/"
_SUFFIX = "/leaderboard"
_LEADERBOARD = _PREFIX + "{contest}" + _SUFFIX


class FastReads:
    """The app, with the pages it can answer from memory answered directly."""

    def __init__(self, app: Litestar) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI: a leaderboard page from memory, or the app; either way counted in the
        HTTP metrics (``incentives.metrics``)."""
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        body = self.answer(scope)
        if body is None:
            answer = securing(send) if scope["path"].startswith(PREFIX) else send
            await _through(self.app, scope, receive, answer, started)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": _headers(body),
            }
        )
        await send({"type": "http.response.body", "body": body, "more_body": False})
        metrics.http_request("GET", fast_route(scope["path"]), 200, time.perf_counter() - started)

    def answer(self, scope: Any) -> bytes | None:
        """The page this request asks for, if it can be answered here; None to pass it on."""
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        path: str = scope["path"]
        if path.startswith(_ME):
            what = path[len(_ME) :]
            asked = _period(scope["query_string"]) if what in OWN_READS else None
            if asked is None:
                return None
            principal = self._principal(scope)
            if principal is None:
                return None
            return own_copy(self.app.state.results, principal, what, asked[0])
        if not (path.startswith(_PREFIX) and path.endswith(_SUFFIX)):
            return None
        ref = path[len(_PREFIX) : -len(_SUFFIX)]
        if not ref or "/" in ref:
            return None
        window = _window(scope["query_string"])
        if window is None:
            return None
        principal = self._principal(scope)
        if principal is None:
            return None
        state = self.app.state
        ids: ContestIds = state.contest_ids
        contest_id = ids.known(ref)
        boards: Live = state.live
        board = None if contest_id is None else boards.kept(contest_id)
        # A manager's figures are their reporting line's, which only the database knows.
        if reads_a_line(principal) or board is None:
            return None
        if not catalogue.may_view(principal, board.status, board.visibility, board.created_by_id):
            return None
        visible = display.figures_at_once(principal)
        return leaderboard_page(
            board, principal, *window, None if visible is None else frozenset(visible)
        )

    def _principal(self, scope: Any) -> Principal | None:
        """The principal of the request's token, if it was accepted moments ago."""
        header = next((v for n, v in scope["headers"] if n == b"authorization"), b"")
        token = bearer_token(header.decode("latin-1"))
        recent: RecentTokens = self.app.state.tokens
        return None if token is None else recent.get(token)


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
        started = time.perf_counter()
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
        path = cycle.scope["path"]
        metrics.http_request("GET", fast_route(path), 200, time.perf_counter() - started)


async def _through(
    app: Litestar, scope: HTTPScope, receive: Receive, send: Send, t0: float
) -> None:
    """The app's answer to a request, counted once it has gone (or the app failed: 500)
    under the template of the route the app's router matched."""
    status = 500

    async def answering(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        await send(message)

    try:
        await app(scope, receive, answering)
    finally:
        # The router writes the template into this very scope; absent: no route matched.
        route = scope.get("path_template")
        metrics.http_request(scope["method"], route, status, time.perf_counter() - t0)


def fast_route(path: str) -> str:
    """The route template of a page answered here: the one the app's router gives it."""
    return path if path.startswith(_ME) else _LEADERBOARD


def _headers(body: bytes) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-type", b"application/json"),
        (b"content-length", b"%d" % len(body)),
        *HEADERS,
    ]


# Period labels (2026, 2026-Q1, 2026-03): a value of other characters goes to the app, so
# that no decoding of the query can differ between here and there.
_LABEL = re.compile(r"[0-9A-Za-z-]{1,20}")


def _period(query: bytes) -> tuple[str | None] | None:
    """(period,) of a query holding a period label or nothing ((None,)); None for anything
    else."""
    if not query:
        return (None,)
    key, eq, value = query.decode("latin-1").partition("=")
    if key != "period" or not eq or not _LABEL.fullmatch(value):
        return None
    return (value,)


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
