"""The API process's results cache (``calc.copies``), listening while the app runs."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from litestar import Litestar

from incentives.background import running
from incentives.calc.copies import ResultsCache


@contextlib.asynccontextmanager
async def listening(app: Litestar) -> AsyncIterator[None]:
    """App lifespan: the results cache listens while the app runs."""
    cache: ResultsCache = app.state.results
    async with running(cache.listen(app.state.engine)):
        yield
