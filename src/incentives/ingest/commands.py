"""The ``incentives import`` subcommand: load a CSV file of one kind."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.config import load_settings
from incentives.db.runtime import open_database
from incentives.ingest.csv_formats import FORMAT_NAMES
from incentives.ingest.csv_import import ImportFailed, ImportSummary, OweRecompute, import_csv
from incentives.ingest.items import KINDS
from incentives.ingest.touched import Touched
from incentives.ingest.warnings import PlansInForce
from incentives.progress import Progress

# Brings the pay an import touched up to date once it has committed, then forgets the
# recompute owed (``recompute.after_ingest.after_import``, handed in by the CLI).
Settle = Callable[[AsyncEngine, Touched, int], Awaitable[None]]


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    plans_in_force: PlansInForce | None = None,
    owe: OweRecompute | None = None,
    settle: Settle | None = None,
) -> None:
    """Add ``import`` to the CLI; with ``plans_in_force``, rows whose values only nearly
    match the plans in force are warned about on stderr; with ``owe`` and ``settle``, the
    pay the file touched is recomputed once it is in (see ``import_csv``)."""
    parser = sub.add_parser(
        "import",
        help="import a CSV file of participants, assignments, deals or activities",
        description=(
            "Import a CSV file: all of it in one transaction, or nothing. Deals may be a"
            " canonical file, a Salesforce opportunity report or a HubSpot deals export"
            " (see docs/csv.md)."
        ),
    )
    parser.add_argument("kind", choices=list(KINDS), help="what the file holds")
    parser.add_argument("file", type=Path, help="the CSV file (UTF-8, header on line 1)")
    parser.add_argument(
        "--format",
        choices=["auto", *FORMAT_NAMES],
        default="auto",
        help="the file's layout (default: detected from the header)",
    )
    parser.add_argument(
        "--currency",
        metavar="CODE",
        help="currency of rows without one (for exports that have no currency column)",
    )
    parser.set_defaults(handler=run, plans_in_force=plans_in_force, owe=owe, settle=settle)


async def _import(args: argparse.Namespace, progress: Progress) -> ImportSummary:
    def told(done: int, estimated: int) -> None:
        progress.update(done, estimated, approximate=done < estimated)

    async with open_database(load_settings()) as engine:
        summary = await import_csv(
            engine,
            args.kind,
            args.file,
            format=args.format,
            currency=args.currency,
            plans_in_force=args.plans_in_force,
            on_progress=told,
            owe=args.owe if args.settle is not None else None,
        )
        if summary.pending_id is not None:
            # Standings and pay current now, not at the nightly rebuild.
            await args.settle(engine, summary.touched, summary.pending_id)
        return summary


def run(args: argparse.Namespace) -> int:
    """Import the file; print the summary, or the problems on stderr (exit code 1).

    Then the pay the file touched is recomputed (contest standings, people, managers).
    Warnings about values that only nearly match the plans' go to stderr too, one a line,
    naming the file and line; they do not change the exit code, the rows were imported.
    On a terminal, stderr shows the rows done, the rate and the time left as it goes."""
    path: Path = args.file
    if not path.is_file():
        print(f"incentives import: no such file: {path}", file=sys.stderr)
        return 2
    try:
        with Progress(f"import {args.kind}") as progress:
            summary = asyncio.run(_import(args, progress))
    except ImportFailed as exc:
        print(f"incentives import: {path}: {exc}", file=sys.stderr)
        return 1
    for line, warning in summary.warnings:
        where = f"{path}:{line}"
        print(
            f"incentives import: warning: {where}: {warning.field}: {warning.message}",
            file=sys.stderr,
        )
    print(f"imported {path}: {summary}")
    return 0
