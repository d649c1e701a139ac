"""``incentives users create``: a principal and its bearer token, printed once."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.auth import principals
from incentives.db.connection import driver_transaction
from incentives.db.models import ROLES
from incentives.db.runtime import run_with_database


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``users create``."""
    users = sub.add_parser("users", help="API users and their tokens")
    actions = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a user and print its token once")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--participant", help="external id of the participant this user is")
    create.add_argument("--name", help="display name (default: the participant or the role)")
    create.set_defaults(handler=_create)


def _create(args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        try:
            async with driver_transaction(engine) as conn:
                _, token = await principals.create(
                    conn,
                    name=args.name or args.participant or args.role,
                    role=args.role,
                    participant=args.participant,
                    actor=CLI_ACTOR,
                )
        except principals.PrincipalError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print("Bearer token (shown once; store it now):", file=sys.stderr)
        print(token)
        return 0

    return run_with_database(work)
