"""Dependencies shared by route handlers."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import asyncpg
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.db.connection import driver_of


async def provide_conn(state: State) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection for reads (autocommit) for the length of the request."""
    engine: AsyncEngine = state.engine
    async with engine.connect() as conn:
        yield await driver_of(conn)


def today() -> dt.date:
    """The business date of now, in UTC: the API's clock (the engine has none)."""
    return dt.datetime.now(dt.UTC).date()
