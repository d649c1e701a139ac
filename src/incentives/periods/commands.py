"""``incentives periods generate``."""

from __future__ import annotations

import argparse

from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.db.connection import driver_transaction
from incentives.db.runtime import run_with_database
from incentives.periods.store import generate


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``periods generate``."""
    periods = sub.add_parser("periods", help="the fiscal calendar")
    actions = periods.add_subparsers(dest="periods_command", required=True, metavar="ACTION")
    gen = actions.add_parser("generate", help="create a fiscal year's months, quarters, year")
    gen.add_argument("--year", type=int, required=True, help="fiscal year (the year it starts)")
    gen.add_argument("--first-month", type=int, default=1, choices=range(1, 13), metavar="1-12")
    gen.set_defaults(handler=_generate)


def _generate(args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        async with driver_transaction(engine) as conn:
            result = await generate(conn, args.year, args.first_month, CLI_ACTOR)
        print(
            f"fiscal year {args.year}: {result.created} periods created, "
            f"{result.existing} already there"
        )
        return 0

    return run_with_database(work)
