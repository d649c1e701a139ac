"""The app as an ASGI factory, for servers that start it in worker processes."""

from __future__ import annotations

from incentives.api.app import serving_app, settle_heap
from incentives.api.fast_reads import FastReads
from incentives.config import load_settings
from incentives.db.connection import make_engine


def from_environment() -> FastReads:
    """The app on ``INCENTIVES_DATABASE_URL`` (already migrated by whoever started us)."""
    settings = load_settings()
    if not settings.database_url:
        raise RuntimeError("INCENTIVES_DATABASE_URL must name the database for API workers")
    app = serving_app(
        make_engine(settings.database_url),
        owns_engine=True,
        scheduler=settings if settings.scheduler else None,
    )
    settle_heap()
    return app
