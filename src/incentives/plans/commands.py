"""The ``incentives plans`` subcommands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from incentives.plans.load import plan_files, read_plan


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``plans`` and its subcommands to the CLI."""
    parser = sub.add_parser("plans", help="work with plan files")
    actions = parser.add_subparsers(dest="plans_command", required=True, metavar="ACTION")
    validate = actions.add_parser("validate", help="check plan files and list every problem found")
    validate.add_argument("paths", nargs="+", type=Path, help="plan files or directories")
    validate.set_defaults(handler=validate_command)


def validate_command(args: argparse.Namespace) -> int:
    """Validate plan files; exit 1 and list all problems if any file has one."""
    files = list(plan_files(args.paths))
    if not files:
        print("no plan files found", file=sys.stderr)
        return 1
    failed = 0
    for path in files:
        plan, problems = read_plan(path)
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
