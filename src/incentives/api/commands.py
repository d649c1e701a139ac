"""``incentives serve``: the API on the configured database."""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api.app import serving_app, settle_heap
from incentives.api.fast_reads import FastReadsProtocol
from incentives.config import load_settings
from incentives.db.runtime import database_url_blocking, migrate_url, run_with_database


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``serve`` command."""
    parser = sub.add_parser("serve", help="run the API (migrates the database first)")
    add_listen_arguments(parser)
    parser.add_argument(
        "--workers",
        type=int,
        default=load_settings().workers,
        help="API processes sharing the port (default INCENTIVES_WORKERS, or 1)",
    )
    parser.set_defaults(handler=_serve)


# On a stop, requests in flight get this long to finish; without a limit an open event
# stream (a TV left on) would hold the process up for ever.
STOP_GRACE_SECONDS = 5
# How uvicorn serves the app, with one process or several. No access log: a line per
# request costs more than the request (errors are logged); and the HTTP protocol that
# writes kept pages itself (api/fast_reads.py).
_SERVER: dict[str, Any] = {
    "log_level": "info",
    "access_log": False,
    "http": FastReadsProtocol,
    "timeout_graceful_shutdown": STOP_GRACE_SECONDS,
}


def add_listen_arguments(parser: argparse.ArgumentParser) -> None:
    """--host and --port, defaulting to INCENTIVES_HOST / INCENTIVES_PORT."""
    settings = load_settings()
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)


async def serve(engine: AsyncEngine, host: str, port: int) -> None:
    """Serve the API until interrupted."""
    settings = load_settings()
    app = serving_app(engine, scheduler=settings if settings.scheduler else None)
    config = uvicorn.Config(app, host=host, port=port, **_SERVER)
    settle_heap()
    await uvicorn.Server(config).serve()


def _serve(args: argparse.Namespace) -> int:
    if args.workers > 1:
        return serve_workers(args.host, args.port, args.workers)

    async def work(engine: AsyncEngine) -> int:
        await serve(engine, args.host, args.port)
        return 0

    return run_with_database(work)


def serve_workers(host: str, port: int, workers: int) -> int:
    """Serve with several processes: the API is stateless, so they share one port."""
    with database_url_blocking(load_settings()) as url:
        asyncio.run(migrate_url(url))
        # The workers find the database (possibly the embedded one started here) this way.
        os.environ["INCENTIVES_DATABASE_URL"] = url
        uvicorn.run(
            "incentives.api.asgi:from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            **_SERVER,
        )
    return 0
