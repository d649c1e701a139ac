"""An HTTP client for the app in-process, on the test's own event loop."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any, cast

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api.app import serving_app


@contextlib.asynccontextmanager
async def api_client(engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the app on ``engine``, as served (fast reads included).

    Litestar's own test client runs the app on another event loop, which the pooled
    asyncpg connections of a shared engine cannot follow; httpx's ASGI transport does not.
    """
    # Litestar types its ASGI callable more narrowly than httpx's generic signature.
    transport = httpx.ASGITransport(app=cast(Any, serving_app(engine)))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
