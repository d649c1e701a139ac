"""The API process's results cache (``calc.copies``), listening while the app runs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from litestar import Litestar

from incentives.calc.copies import ResultsCache


@contextlib.asynccontextmanager
async def listening(app: Litestar) -> AsyncIterator[None]:
    """App lifespan: the results cache listens while the app runs."""
    cache: ResultsCache = app.state.results
    task = asyncio.create_task(cache.listen(app.state.engine))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
