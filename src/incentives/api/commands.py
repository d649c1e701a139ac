"""``incentives serve``: the API on the configured database."""

from __future__ import annotations

import argparse

import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api.app import create_app
from incentives.config import load_settings
from incentives.db.runtime import run_with_database


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``serve`` command."""
    parser = sub.add_parser("serve", help="run the API (migrates the database first)")
    add_listen_arguments(parser)
    parser.set_defaults(handler=_serve)


def add_listen_arguments(parser: argparse.ArgumentParser) -> None:
    """--host and --port, defaulting to INCENTIVES_HOST / INCENTIVES_PORT."""
    settings = load_settings()
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)


async def serve(engine: AsyncEngine, host: str, port: int) -> None:
    """Serve the API until interrupted."""
    # No access log: a line per request costs more than the request (errors are logged).
    config = uvicorn.Config(
        create_app(engine), host=host, port=port, log_level="info", access_log=False
    )
    await uvicorn.Server(config).serve()


def _serve(args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        await serve(engine, args.host, args.port)
        return 0

    return run_with_database(work)
