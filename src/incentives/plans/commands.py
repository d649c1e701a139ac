"""The ``incentives plans`` subcommands."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``plans`` and its subcommands to the CLI."""
    parser = sub.add_parser("plans", help="work with plan files")
    parser.set_defaults(handler=lambda args: parser.print_help() or 2)
