"""Leaderboard pages answered in front of the framework: the same bytes as the app's,
only for what the app would answer with a page, and everything else passed on."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from typing import Any, cast

import httpx
import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api import asgi, results_cache
from incentives.api.app import create_app, serving_app
from incentives.api.fast_reads import FastReads, FastReadsProtocol
from incentives.api.games import live_boards
from incentives.api.security import RecentTokens
from incentives.metrics import REGISTRY
from tests.api.conftest import IN_LINE, Headers, make_live, post_deal, race
from tests.api.test_answer_headers import POLICY, assert_kept_by_no_one


def _scope(path: str, query: str = "", token: str | None = None, method: str = "GET") -> Any:
    headers = [] if token is None else [(b"authorization", f"Bearer {token}".encode())]
    return {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query.encode(),
        "headers": headers,
    }


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


@pytest.fixture
async def served(
    db: AsyncEngine, world: Headers
) -> AsyncIterator[tuple[FastReads, httpx.AsyncClient, httpx.AsyncClient]]:
    """The fast path and two clients: one through it, one straight to the app."""
    app = create_app(db)
    fast = FastReads(app)
    through = httpx.ASGITransport(app=cast(Any, fast))
    around = httpx.ASGITransport(app=cast(Any, app))
    async with (
        live_boards(app),
        results_cache.listening(app),
        httpx.AsyncClient(transport=through, base_url="http://testserver") as client,
        httpx.AsyncClient(transport=around, base_url="http://testserver") as plain,
    ):
        await make_live(client, db, world["finance"], race("race", "Race"))
        secret = race("secret", "Secret", visibility="test", participants=IN_LINE)
        await make_live(client, db, world["manager"], secret)
        for _ in range(500):
            if app.state.live.listening and app.state.results.listening:
                break
            await asyncio.sleep(0.01)
        yield fast, client, plain


async def test_a_page_from_memory_is_the_apps_page(
    served: tuple[FastReads, httpx.AsyncClient, httpx.AsyncClient], world: Headers
) -> None:
    fast, client, plain = served
    rep = _token(world["rep"])
    path = "/api/v1/contests/race/leaderboard"
    # Not yet known: the token and the board come from the app's first answer.
    assert fast.answer(_scope(path, "limit=2", rep)) is None
    first = await client.get(path, params={"limit": 2}, headers=world["rep"])
    assert first.status_code == 200
    body = fast.answer(_scope(path, "limit=2", rep))
    assert body is not None
    assert (
        body == first.content == (await plain.get(path + "?limit=2", headers=world["rep"])).content
    )
    page = first.json()
    assert [r["subject"] for r in page["rows"]] == ["rep-1", "rep-3"]
    assert page["me"]["subject"] == "rep-1"
    # By id as well as by key; another reader gets their own place.
    contest_id = (
        page["rows"]
        and (await client.get("/api/v1/contests/race", headers=world["rep"])).json()["id"]
    )
    assert fast.answer(_scope(f"/api/v1/contests/{contest_id}/leaderboard", "", rep)) is not None
    answered = await client.get(path, headers=world["finance"])
    finance = fast.answer(_scope(path, "", _token(world["finance"])))
    assert finance == answered.content and b'"me":null' in finance
    # A manager's figures are their line's, which the app looks up: they are sent on.
    assert (await client.get(path, headers=world["manager"])).status_code == 200
    assert fast.answer(_scope(path, "", _token(world["manager"]))) is None


async def test_anything_doubtful_is_left_to_the_app(
    served: tuple[FastReads, httpx.AsyncClient, httpx.AsyncClient],
    world: Headers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast, client, _ = served
    rep = _token(world["rep"])
    path = "/api/v1/contests/race/leaderboard"
    assert (await client.get(path, headers=world["rep"])).status_code == 200
    secret = "/api/v1/contests/secret/leaderboard"
    assert (await client.get(secret, headers=world["finance"])).status_code == 200
    assert fast.answer(_scope(path, "", rep)) is not None
    for query in ("limit=0", "limit=501", "limit=x", "limit=1&limit=2", "offset=-1", "page=2"):
        assert fast.answer(_scope(path, query, rep)) is None, query
    assert (await client.get(path + "?limit=0", headers=world["rep"])).status_code == 400
    for scope in (
        _scope(path, "", None),
        _scope(path, "", "inc_unknown"),
        _scope(path, "", rep, method="POST"),
        _scope(path + "/stream", "", rep),
        _scope("/api/v1/contests/nothing/leaderboard", "", rep),
    ):
        assert fast.answer(scope) is None, scope
    assert (await client.get(path)).status_code == 401
    # A test-mode contest is its manager's and finance's: the rep is sent on, and the app
    # says 404.
    assert fast.answer(_scope(secret, "", _token(world["finance"]))) is not None
    assert fast.answer(_scope(secret, "", rep)) is None
    assert (await client.get(secret, headers=world["rep"])).status_code == 404
    # Once the token's moment has passed, the app checks it again.
    later = RecentTokens.clock() + RecentTokens.TTL + 1
    monkeypatch.setattr(RecentTokens, "clock", staticmethod(lambda: later))
    assert fast.answer(_scope(path, "", rep)) is None


async def test_pages_from_memory_say_no_one_may_keep_them(
    served: tuple[FastReads, httpx.AsyncClient, httpx.AsyncClient], world: Headers
) -> None:
    fast, client, _ = served
    rep = _token(world["rep"])
    for path, query in [
        ("/api/v1/me/earnings", "period=2026-Q1"),
        ("/api/v1/contests/race/leaderboard", ""),
    ]:
        first = await client.get(f"{path}?{query}", headers=world["rep"])
        assert fast.answer(_scope(path, query, rep)) is not None  # the next one is from memory
        kept = await client.get(f"{path}?{query}", headers=world["rep"])
        assert kept.content == first.content
        assert_kept_by_no_one(kept, path)
        assert kept.headers["content-security-policy"] == POLICY


async def test_a_deal_changes_the_page_served_from_memory(
    served: tuple[FastReads, httpx.AsyncClient, httpx.AsyncClient], world: Headers
) -> None:
    fast, client, _ = served
    path = "/api/v1/contests/race/leaderboard"
    before = await client.get(path, headers=world["rep"])
    assert [r["subject"] for r in before.json()["rows"]] == ["rep-1", "rep-3", "rep-2"]
    await post_deal(client, world["integration"], "D-9", "rep-2", "50000", "2026-03-02")
    for _ in range(500):
        body = fast.answer(_scope(path, "", _token(world["rep"])))
        if body is not None and b'"rank":1,"subject":"rep-2"' in body:
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("the page kept in memory never showed the deal")
    after = await client.get(path, headers=world["rep"])
    assert after.content == body
    assert [r["subject"] for r in after.json()["rows"]] == ["rep-2", "rep-1", "rep-3"]


async def test_own_pay_from_memory_is_the_apps_until_a_run_changes_it(
    served: tuple[FastReads, httpx.AsyncClient, httpx.AsyncClient], world: Headers
) -> None:
    fast, client, plain = served
    rep = _token(world["rep"])
    path = "/api/v1/me/earnings"
    # Nothing kept yet: the app reads it (and keeps it).
    assert fast.answer(_scope(path, "period=2026-Q1", rep)) is None
    first = await client.get(path + "?period=2026-Q1", headers=world["rep"])
    assert first.json()[0]["amount"] == "1284.57"
    kept = fast.answer(_scope(path, "period=2026-Q1", rep))
    assert kept is not None
    straight = await plain.get(path, params={"period": "2026-Q1"}, headers=world["rep"])
    assert kept == first.content == straight.content
    # Kept per reader, per read and per period.
    assert fast.answer(_scope(path, "period=2026-Q1", _token(world["manager"]))) is None
    assert fast.answer(_scope("/api/v1/me/attainment", "period=2026-Q1", rep)) is None
    assert fast.answer(_scope(path, "", rep)) is None
    everything = await client.get(path, headers=world["rep"])
    assert fast.answer(_scope(path, "", rep)) == everything.content
    # Anything doubtful goes to the app.
    for query in (
        "period=2026-Q1&period=2026",
        "periods=2026-Q1",
        "period=2026%2DQ1",
        "period=",
        "period=2026-Q1&limit=1",
    ):
        assert fast.answer(_scope(path, query, rep)) is None, query
    assert fast.answer(_scope("/api/v1/me/statements", "", rep)) is None
    assert fast.answer(_scope(path, "period=2026-Q1", "inc_unknown")) is None
    assert fast.answer(_scope(path, "period=2026-Q1", rep, method="POST")) is None
    # A deal for rep-1: its run's announcement drops the copy; the next read keeps the new.
    await post_deal(client, world["integration"], "D-9", "rep-1", "300", "2026-03-02")
    for _ in range(500):
        if fast.answer(_scope(path, "period=2026-Q1", rep)) is None:
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("the kept earnings outlived the run that changed them")
    after = await client.get(path + "?period=2026-Q1", headers=world["rep"])
    assert after.json()[0]["amount"] == "1314.57"  # + 10% of 300
    assert fast.answer(_scope(path, "period=2026-Q1", rep)) == after.content


async def test_a_worker_settles_its_heap_before_serving(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INCENTIVES_DATABASE_URL", database_url)
    monkeypatch.setenv("INCENTIVES_SCHEDULER", "off")
    gc.unfreeze()
    try:
        app = asgi.from_environment()
        # What the process held is out of the collector's full passes.
        assert gc.get_freeze_count() > 10_000
        assert isinstance(app, FastReads)
        await app.app.state.engine.dispose()
    finally:
        gc.unfreeze()


class _Counted:
    """The served app, counting the HTTP requests that reach it as ASGI."""

    def __init__(self, app: FastReads) -> None:
        self.app = app
        self.requests = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.requests += scope["type"] == "http"
        await self.app(scope, receive, send)


@pytest.fixture
async def uvicorn_served(db: AsyncEngine, world: Headers) -> AsyncIterator[tuple[_Counted, int]]:
    """The served app under uvicorn with the fast-reads protocol, on a free port, as
    ``incentives serve`` runs it (without an access log, which would send every request
    through the app to be logged)."""
    app = _Counted(serving_app(db))
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        http=FastReadsProtocol,
        access_log=False,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await make_live(client, db, world["finance"], race("race", "Race"))
        for _ in range(500):
            if app.app.app.state.live.listening:
                break
            await asyncio.sleep(0.01)
        yield app, port
    finally:
        server.should_exit = True
        await serving


def _get(path: str, headers: dict[str, str], *extra: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", *extra]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _response(reader: asyncio.StreamReader) -> tuple[list[bytes], bytes]:
    """A response's status line and headers (less the date, which ticks) and its body."""
    head = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")[:-2]
    length = next(int(h.split(b":")[1]) for h in head if h.startswith(b"content-length:"))
    return [h for h in head if not h.startswith(b"date:")], await reader.readexactly(length)


async def test_uvicorn_writes_a_kept_page_itself_as_the_app_would(
    uvicorn_served: tuple[_Counted, int], world: Headers
) -> None:
    app, port = uvicorn_served
    page = "/api/v1/contests/race/leaderboard?limit=2"
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(_get(page, world["rep"]))
        through_app = await _response(reader)
        seen = app.requests
        writer.write(_get(page, world["rep"]))
        written = await _response(reader)
        # The second is written by the protocol: the app never sees it.
        assert app.requests == seen
        assert through_app[0][0] == b"HTTP/1.1 200 OK"
        assert written == through_app
        assert b'"subject":"rep-1"' in written[1]
        # Pipelined: a kept page, a request for the app, a kept page, answered in order.
        me = "/api/v1/me"
        writer.write(_get(page, world["rep"]) + _get(me, world["rep"]) + _get(page, world["rep"]))
        answers = [await _response(reader) for _ in range(3)]
        assert [a[1] for a in answers] == [
            written[1],
            b'{"name":"test rep","role":"rep","participant":"rep-1"}',
            written[1],
        ]
        assert app.requests == seen + 1
        # A request asking to close gets its page, a `connection: close`, and the close.
        writer.write(_get(page, world["rep"], "Connection: close"))
        closing = await _response(reader)
        assert closing[1] == written[1] and b"connection: close" in closing[0]
        assert await reader.read() == b""
    finally:
        writer.close()


async def test_kept_pages_count_in_the_metrics_however_they_are_answered(
    uvicorn_served: tuple[_Counted, int], world: Headers
) -> None:
    app, port = uvicorn_served
    route = {"method": "GET", "route": "/api/v1/contests/{contest}/leaderboard", "status": "200"}

    def answered() -> float:
        return REGISTRY.get_sample_value("incentives_http_requests_total", route) or 0.0

    page = "/api/v1/contests/race/leaderboard?limit=2"
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for by_protocol in (False, True):
            before, seen = answered(), app.requests
            writer.write(_get(page, world["rep"]))
            await _response(reader)
            # The first goes through the app (which keeps the page), the second not.
            assert (app.requests == seen) is by_protocol
            assert answered() == before + 1
    finally:
        writer.close()
