"""``incentives periods generate`` and ``incentives periods close``."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.db.connection import driver_transaction
from incentives.db.runtime import run_with_database
from incentives.periods.close import CloseRefused, UnknownPeriod, close_period
from incentives.periods.store import generate


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``periods generate`` and ``periods close``."""
    periods = sub.add_parser("periods", help="the fiscal calendar")
    actions = periods.add_subparsers(dest="periods_command", required=True, metavar="ACTION")
    gen = actions.add_parser("generate", help="create a fiscal year's months, quarters, year")
    gen.add_argument("--year", type=int, required=True, help="fiscal year (the year it starts)")
    gen.add_argument("--first-month", type=int, default=1, choices=range(1, 13), metavar="1-12")
    gen.set_defaults(handler=_generate)
    close = actions.add_parser(
        "close", help="close a period now: final run, results frozen, draft statements"
    )
    close.add_argument("period", help="the period's label, e.g. 2026-Q1")
    close.set_defaults(handler=_close)


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


def _close(args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        try:
            closed = await close_period(engine, args.period, CLI_ACTOR)
        except (UnknownPeriod, CloseRefused) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        totals = ", ".join(f"{amount} {currency}" for currency, amount in closed.totals.items())
        print(
            f"{closed.period} closed (run {closed.run_id}): {closed.statements} statements"
            + (f", {totals}" if totals else "")
        )
        return 0

    return run_with_database(work)
