"""The app as an ASGI factory, for servers that start it in worker processes."""

from __future__ import annotations

from litestar import Litestar

from incentives.api.app import create_app
from incentives.config import load_settings
from incentives.db.connection import make_engine


def from_environment() -> Litestar:
    """The app on ``INCENTIVES_DATABASE_URL`` (already migrated by whoever started us)."""
    settings = load_settings()
    if not settings.database_url:
        raise RuntimeError("INCENTIVES_DATABASE_URL must name the database for API workers")
    return create_app(
        make_engine(settings.database_url),
        owns_engine=True,
        scheduler=settings if settings.scheduler else None,
    )
