"""The ``incentives plans`` subcommands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from incentives.plans.load import plan_files, read_document


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``plans`` and its subcommands to the CLI."""
    parser = sub.add_parser("plans", help="work with plan files")
    actions = parser.add_subparsers(dest="plans_command", required=True, metavar="ACTION")
    validate = actions.add_parser("validate", help="check plan files and list every problem found")
    validate.add_argument("paths", nargs="+", type=Path, help="plan files or directories")
    validate.set_defaults(handler=validate_command)
    publish_parser = actions.add_parser(
        "publish", help="publish plan files as new versions (or --dry-run: show the effect)"
    )
    publish_parser.add_argument("paths", nargs="+", type=Path, help="plan files")
    publish_parser.add_argument(
        "--dry-run", action="store_true", help="publish nothing; show each participant's change"
    )
    publish_parser.set_defaults(handler=publish_command)


def validate_command(args: argparse.Namespace) -> int:
    """Validate plan files; exit 1 and list all problems if any file has one."""
    files = list(plan_files(args.paths))
    if not files:
        print("no plan files found", file=sys.stderr)
        return 1
    failed = 0
    for path in files:
        plan, problems = read_document(path)
        if plan is None:
            failed += 1
            for problem in problems:
                print(problem)
        else:
            print(f"OK {path}: {plan.key} v{plan.version} ({plan.kind}, {plan.name})")
    if failed:
        print(f"{failed} of {len(files)} plan files have problems", file=sys.stderr)
        return 1
    print(f"{len(files)} plan file(s) valid")
    return 0


def publish_command(args: argparse.Namespace) -> int:
    """Publish (or dry-run) plan files on the configured database."""
    # Imported here: validating files needs no database and should not load its drivers.
    from incentives.plans.publish_command import publish_files

    return publish_files(list(plan_files(args.paths)), dry_run=args.dry_run)
