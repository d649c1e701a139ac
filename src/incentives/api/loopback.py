"""The API as served (``serving_app``) by uvicorn on a loopback port of the running event
loop, for code of the same process that talks to it over HTTP: an in-process ASGI
transport neither runs the app's lifespan (the live boards) nor can read an endless
stream."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api.app import serving_app
from incentives.api.security import RecentTokens
from incentives.games.live import Live

# How long the server may take to listen, its live boards included.
START_SECONDS = 10.0


@contextlib.asynccontextmanager
async def loopback(engine: AsyncEngine) -> AsyncIterator[str]:
    """The base URL of the API on ``engine`` served on 127.0.0.1, once its live boards and
    its token cache listen; the server is stopped when the block ends."""
    app = serving_app(engine)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    boards: Live = app.app.state.live
    recent: RecentTokens = app.app.state.tokens
    try:
        async with asyncio.timeout(START_SECONDS):
            while not (server.started and boards.listening and recent.listening):
                if serving.done():
                    await serving  # it stopped: raise why
                    raise RuntimeError("the server stopped before it listened")
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving
