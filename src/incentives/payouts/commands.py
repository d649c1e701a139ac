"""``incentives payouts export`` and ``incentives payouts mark-paid``."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.db.connection import driver_transaction
from incentives.db.runtime import run_with_database
from incentives.payouts.export import EXPORTABLE, export
from incentives.payouts.workflow import Paid, WorkflowError, mark_paid


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``payouts export`` and ``payouts mark-paid``."""
    payouts = sub.add_parser("payouts", help="payroll export and payments")
    actions = payouts.add_subparsers(dest="payouts_command", required=True, metavar="ACTION")
    exported = actions.add_parser("export", help="a period's payouts as a payroll CSV file")
    exported.add_argument("--period", required=True, help="e.g. 2026-Q1")
    exported.add_argument("--status", default="approved", choices=EXPORTABLE)
    exported.add_argument(
        "--output", "-o", type=Path, help="write the file here (default: standard output)"
    )
    exported.add_argument(
        "--mark-paid", action="store_true", help="mark the exported statements paid, too"
    )
    exported.set_defaults(handler=_export)
    paid = actions.add_parser("mark-paid", help="mark a period's exported payouts paid")
    paid.add_argument("--period", required=True, help="e.g. 2026-Q1")
    paid.set_defaults(handler=_mark_paid)


def _paid_summary(paid: Paid) -> str:
    amounts = ", ".join(f"{amount} {currency}" for currency, amount in paid.amounts.items())
    return (
        f"{len(paid.paid)} marked paid{f' ({amounts})' if amounts else ''},"
        f" {len(paid.already_paid)} already paid"
    )


def _export(args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        out = io.StringIO()
        try:
            async with driver_transaction(engine) as conn:
                ids = await export(conn, args.period, args.status, CLI_ACTOR, out)
                paid = await mark_paid(conn, CLI_ACTOR, statements=ids) if args.mark_paid else None
                # Written before the commit: a file that cannot be written leaves nothing
                # recorded as exported or paid.
                if args.output is None:
                    sys.stdout.write(out.getvalue())
                    sys.stdout.flush()
                else:
                    args.output.write_text(out.getvalue(), encoding="utf-8", newline="")
        except (WorkflowError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        summary = f"{len(ids)} statements exported"
        print(summary + (f"; {_paid_summary(paid)}" if paid else ""), file=sys.stderr)
        return 0

    return run_with_database(work)


def _mark_paid(args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        try:
            async with driver_transaction(engine) as conn:
                paid = await mark_paid(conn, CLI_ACTOR, period=args.period)
        except WorkflowError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        waiting = f"; {len(paid.not_exported)} approved but not exported yet"
        print(_paid_summary(paid) + (waiting if paid.not_exported else ""))
        return 0

    return run_with_database(work)
