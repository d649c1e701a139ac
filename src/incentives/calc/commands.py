"""``incentives calc``: a calculation run from the command line."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.calc import runs
from incentives.db.connection import driver_of
from incentives.db.runtime import run_with_database
from incentives.progress import Progress


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``calc`` command."""
    parser = sub.add_parser("calc", help="recompute a period's results (every plan in force)")
    parser.add_argument("--period", required=True, help="2026, 2026-Q1 or 2026-03")
    parser.add_argument(
        "--participant", action="append", dest="participants", help="only these (repeatable)"
    )
    parser.set_defaults(handler=_calc)


def _calc(args: argparse.Namespace) -> int:
    # On a terminal, stderr shows the plans done, the rate and the time left as it goes.
    progress = Progress(f"calc {args.period}", unit="plans")

    async def work(engine: AsyncEngine) -> int:
        # Runs a killed process left running are marked abandoned before this one starts.
        async with engine.connect() as sa_conn:
            await runs.reap_abandoned(await driver_of(sa_conn))
        try:
            with progress:
                run = await runs.calculate(
                    engine,
                    period=args.period,
                    participants=args.participants,
                    trigger="cli",
                    actor=CLI_ACTOR,
                    on_progress=lambda done, total: progress.update(done, total),
                )
        except (runs.ScopeError, runs.RunBusy) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"run {run.id} {run.status}: {run.counts} with {run.plan_versions}")
        return 0

    return run_with_database(work)
