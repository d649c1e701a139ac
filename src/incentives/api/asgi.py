"""The app as an ASGI factory, for servers that start it in worker processes."""

from __future__ import annotations

import multiprocessing

from litestar.types import ASGIApp

from incentives.api.app import serving_app, settle_heap
from incentives.api.request_log import with_request_log
from incentives.config import load_settings
from incentives.db.connection import make_engine
from incentives.logs import configure_logging
from incentives.orphans import end_with_parent


def from_environment() -> ASGIApp:
    """The app on ``INCENTIVES_DATABASE_URL`` (already migrated by whoever started us)."""
    # A worker outlives no supervisor killed outright: it would hold the port and its
    # connections with nobody left to stop it.
    supervisor = multiprocessing.parent_process()
    if supervisor is not None and supervisor.pid is not None:
        end_with_parent(supervisor.pid)
    settings = load_settings()
    # A worker is a process of its own, started afresh: it sets up its own logging.
    configure_logging(settings.log_format, settings.log_level)
    if not settings.database_url:
        raise RuntimeError("INCENTIVES_DATABASE_URL must name the database for API workers")
    app = serving_app(
        make_engine(settings.database_url),
        owns_engine=True,
        scheduler=settings if settings.scheduler else None,
    )
    settle_heap()
    return with_request_log(app, settings.log_format)
