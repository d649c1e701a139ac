"""Dependencies shared by route handlers."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Annotated

import asyncpg
from litestar.datastructures import State
from litestar.params import PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.db.connection import driver_of
from incentives.db.limits import BIGINT_MAX, INTEGER_MAX

# Ids are the database's bigints: a larger number is refused (400) before any query.
Id = Annotated[int, PathParameter(ge=1, le=BIGINT_MAX)]
IdQuery = Annotated[int | None, QueryParameter(ge=1, le=BIGINT_MAX)]
# A statement's line numbers are integers (not bigints) in the database.
LineNo = Annotated[int, PathParameter(ge=1, le=INTEGER_MAX)]


async def provide_conn(state: State) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection for reads (autocommit) for the length of the request."""
    engine: AsyncEngine = state.engine
    async with engine.connect() as conn:
        yield await driver_of(conn)


def today() -> dt.date:
    """The business date of now, in UTC: the API's clock (the engine has none)."""
    return dt.datetime.now(dt.UTC).date()
