"""``incentives serve``: the API on the configured database."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator
from types import FrameType
from typing import Any

import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives import stopping
from incentives.api.app import serving_app, settle_heap
from incentives.api.fast_reads import FastReadsProtocol
from incentives.api.listen import ensure_port_free
from incentives.api.request_log import with_request_log
from incentives.config import load_settings
from incentives.db.runtime import database_url_blocking, migrate_url, run_with_database
from incentives.games.live import Live


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
# How uvicorn serves the app, with one process or several. Logging is set up by the
# command (logs.py): no handlers, levels or access log of uvicorn's own (a line per
# request costs more than the request; errors are logged); and the HTTP protocol that
# writes kept pages itself (api/fast_reads.py).
_SERVER: dict[str, Any] = {
    "log_config": None,
    "access_log": False,
    "http": FastReadsProtocol,
    "timeout_graceful_shutdown": STOP_GRACE_SECONDS,
}


def add_listen_arguments(parser: argparse.ArgumentParser) -> None:
    """--host and --port, defaulting to INCENTIVES_HOST / INCENTIVES_PORT."""
    settings = load_settings()
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)


class _Server(uvicorn.Server):
    """uvicorn's server, stopped through the command's signal handling (stopping.py).

    uvicorn's own handling raises the stop signal again once it has shut down: a
    KeyboardInterrupt out of the command's event loop for SIGINT, cutting the database's
    release short, and for SIGTERM death on the spot, leaving the embedded PostgreSQL
    running. Here a stop signal only stops the server, and ends the open event streams
    at once, which would otherwise keep their connections (and the stop) waiting.
    """

    def __init__(self, config: uvicorn.Config, live: Live) -> None:
        super().__init__(config)
        self.live = live

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Stop serving; end the streams so that their connections close now."""
        super().handle_exit(sig, frame)
        self.live.close_streams()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Route stop signals to the server while it serves; never raise them again."""
        with stopping.serving(self.handle_exit):
            yield


async def serve(engine: AsyncEngine, host: str, port: int) -> None:
    """Serve the API until SIGINT or SIGTERM (then stop within ``STOP_GRACE_SECONDS``)."""
    settings = load_settings()
    app = serving_app(engine, scheduler=settings if settings.scheduler else None)
    served = with_request_log(app, settings.log_format)
    config = uvicorn.Config(served, host=host, port=port, **_SERVER)
    settle_heap()
    await _Server(config, app.app.state.live).serve()


def _serve(args: argparse.Namespace) -> int:
    ensure_port_free(args.host, args.port)
    if args.workers > 1:
        return serve_workers(args.host, args.port, args.workers)

    async def work(engine: AsyncEngine) -> int:
        await serve(engine, args.host, args.port)
        return 0

    # Stopped before it served (while the database starts): a stop asked for, done.
    return run_with_database(work, stopped=0)


def serve_workers(host: str, port: int, workers: int) -> int:
    """Serve with several processes: the API is stateless, so they share one port.

    uvicorn's supervisor stops the workers on SIGINT or SIGTERM; until it runs, either
    signal ends the start (the embedded database is stopped on the way out).
    """
    ensure_port_free(host, port)
    stop_start = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with database_url_blocking(load_settings()) as url:
            asyncio.run(migrate_url(url))
            # The workers find the database (possibly the embedded one started here) so.
            os.environ["INCENTIVES_DATABASE_URL"] = url
            uvicorn.run(
                "incentives.api.asgi:from_environment",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                **_SERVER,
            )
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, stop_start)
    return 0
