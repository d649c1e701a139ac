"""The ``incentives simulate`` command."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``simulate`` to the CLI."""
    parser = sub.add_parser("simulate", help="evaluate a plan over CSV data, offline")
    parser.set_defaults(handler=lambda args: parser.print_help() or 2)
