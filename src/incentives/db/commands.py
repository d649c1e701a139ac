"""``incentives migrate``."""

from __future__ import annotations

import argparse

from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.db import migrate
from incentives.db.runtime import run_with_database


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``migrate`` command."""
    parser = sub.add_parser("migrate", help="apply database migrations up to the latest")
    parser.set_defaults(handler=_migrate)


def _migrate(args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        # open_database has migrated already; report where the database stands.
        print(f"database at revision {await migrate.current(engine)}")
        return 0

    return run_with_database(work)
