"""The ``incentives`` command line: each capability registers its own subcommands."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Sequence

from incentives.api.listen import CannotListen
from incentives.config import load_settings
from incentives.logs import configure_logging
from incentives.stopping import INTERRUPTED

Registrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def _registrars() -> list[Registrar]:
    # Imported here so that `incentives --help` stays fast and each capability owns its commands.
    from incentives.api import commands as api_commands
    from incentives.auth import commands as auth_commands
    from incentives.calc import commands as calc_commands
    from incentives.db import commands as db_commands
    from incentives.demo import commands as demo_commands
    from incentives.ingest import commands as ingest_commands
    from incentives.payouts import commands as payout_commands
    from incentives.periods import commands as period_commands
    from incentives.plans import commands as plan_commands
    from incentives.plans.vocabulary import vocabularies_in_force
    from incentives.recompute import pending
    from incentives.recompute.after_ingest import after_import
    from incentives.simulate import commands as simulate_commands

    return [
        api_commands.register,
        demo_commands.register,
        db_commands.register,
        auth_commands.register,
        # Given here: ingest cannot import plans/ (which depends on ingest through games/).
        # So are the recompute's hooks (recompute/ depends on ingest).
        functools.partial(
            ingest_commands.register,
            plans_in_force=vocabularies_in_force,
            owe=pending.record,
            settle=after_import,
        ),
        period_commands.register,
        calc_commands.register,
        payout_commands.register,
        plan_commands.register,
        simulate_commands.register,
    ]


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every capability's subcommands."""
    parser = argparse.ArgumentParser(
        prog="incentives", description="Sales incentive compensation and gamification."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in _registrars():
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except CannotListen as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Ctrl-C in a command's synchronous part: interrupted, said by the exit code alone.
        return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
