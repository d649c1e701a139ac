"""``incentives users``: create a principal with its bearer token (printed once), list a
user's tokens (never their secrets) and revoke them."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Awaitable, Callable

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.auth import principals, token_store
from incentives.auth.token_store import TokenInfo
from incentives.db.connection import driver_transaction
from incentives.db.models import ROLES
from incentives.db.runtime import run_with_database
from incentives.errors import DomainError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``users create``, ``users tokens`` and ``users revoke``."""
    users = sub.add_parser("users", help="API users and their tokens")
    actions = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a user and print its token once")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--participant", help="external id of the participant this user is")
    create.add_argument("--name", help="display name (default: the participant or the role)")
    expiry = create.add_mutually_exclusive_group()
    expiry.add_argument(
        "--expires-in", metavar="SPAN", help="the token stops working after 30m, 12h, 90d, 2w…"
    )
    expiry.add_argument(
        "--expires-at",
        metavar="MOMENT",
        type=dt.datetime.fromisoformat,
        help="the token stops working then (ISO 8601 with its offset: 2027-03-31T00:00:00Z)",
    )
    create.set_defaults(handler=_create)
    listed = actions.add_parser("tokens", help="list a user's tokens (never their secrets)")
    listed.add_argument("user", type=int, help="the user's id (printed by users create)")
    listed.set_defaults(handler=_tokens)
    revoke = actions.add_parser("revoke", help="revoke a token, or all of a user's")
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("token", nargs="?", type=int, help="the token's id (users tokens)")
    which.add_argument("--all-of", metavar="USER", type=int, help="every token of this user")
    revoke.set_defaults(handler=_revoke)


def _run(work: Callable[[asyncpg.Connection], Awaitable[int]]) -> int:
    """``work`` in one transaction; a refusal is printed, exit code 2."""

    async def transaction(engine: AsyncEngine) -> int:
        try:
            async with driver_transaction(engine) as conn:
                return await work(conn)
        except (principals.PrincipalError, DomainError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    return run_with_database(transaction)


def _create(args: argparse.Namespace) -> int:
    async def work(conn: asyncpg.Connection) -> int:
        expires_at = token_store.expiry(
            expires_in=args.expires_in, expires_at=args.expires_at, now=dt.datetime.now(dt.UTC)
        )
        principal, token = await principals.create(
            conn,
            name=args.name or args.participant or args.role,
            role=args.role,
            participant=args.participant,
            actor=CLI_ACTOR,
            expires_at=expires_at,
        )
        until = "" if expires_at is None else f", expires {expires_at:%Y-%m-%dT%H:%M:%SZ}"
        print(
            f"User {principal.id}{until}. Bearer token (shown once; store it now):", file=sys.stderr
        )
        print(token)
        return 0

    return _run(work)


def _table(tokens: list[TokenInfo]) -> str:
    rows = [("id", "prefix", "label", "status", "created", "expires", "revoked")]
    rows += [
        (
            str(t.id),
            t.prefix + "…",
            t.label or "-",
            t.status.value,
            t.created_at,
            t.expires_at or "never",
            t.revoked_at or "-",
        )
        for t in tokens
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def _tokens(args: argparse.Namespace) -> int:
    async def work(conn: asyncpg.Connection) -> int:
        print(_table(await token_store.listing(conn, args.user)))
        return 0

    return _run(work)


def _revoke(args: argparse.Namespace) -> int:
    async def work(conn: asyncpg.Connection) -> int:
        if args.all_of is not None:
            revoked = await token_store.revoke_all(conn, CLI_ACTOR, args.all_of)
        else:
            revoked = [await token_store.revoke(conn, CLI_ACTOR, args.token)]
        print(_table(revoked))
        if args.all_of is not None:
            print(f"{len(revoked)} token(s) revoked.", file=sys.stderr)
        return 0

    return _run(work)
