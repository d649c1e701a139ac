"""``incentives demo``: load the demo data set, print tokens, serve the API."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api.commands import add_listen_arguments, serve
from incentives.audit.log import CLI_ACTOR
from incentives.auth import principals
from incentives.calc.runs import calculate
from incentives.db.connection import driver_transaction
from incentives.db.runtime import run_with_database
from incentives.demo.dataset import PLAN_FILES, YEAR, DemoData, build
from incentives.games import contests
from incentives.ingest.items import KINDS
from incentives.ingest.service import ingest
from incentives.periods.store import generate
from incentives.plans.publish import publish

CHUNK = 10_000
PLANS_DIR = Path(__file__).resolve().parents[3] / "plans"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``demo`` command."""
    parser = sub.add_parser("demo", help="load the demo data set, print tokens, serve the API")
    add_listen_arguments(parser)
    parser.add_argument("--no-serve", action="store_true", help="load and print tokens only")
    parser.set_defaults(handler=_demo)


async def load(engine: AsyncEngine, data: DemoData, today: dt.date | None = None) -> dict[str, str]:
    """Ingest the data set (a replay changes nothing) and return a token per demo user;
    with ``today``, its contests are taken live (or to their end) as of that day, as the
    scheduler would, instead of waiting for it."""
    async with driver_transaction(engine) as conn:
        await generate(conn, YEAR, 1, CLI_ACTOR)
        for kind in KINDS:
            items = getattr(data, kind)
            for at in range(0, len(items), CHUNK):
                await ingest(conn, kind, items[at : at + CHUNK], CLI_ACTOR)
        for name in PLAN_FILES:
            path = PLANS_DIR / name
            await publish(conn, path.read_text(encoding="utf-8"), path.name, CLI_ACTOR)
        names = {p["external_id"]: p["name"] for p in data.participants}
        users = {
            "rep": (names[data.reps[0]], "rep", data.reps[0]),
            "manager": (names[data.managers[0]], "manager", data.managers[0]),
            "finance": ("demo finance", "finance", None),
            "admin": ("demo admin", "admin", None),
        }
        tokens = {
            label: await principals.ensure(
                conn, name=name, role=role, participant=who, actor=CLI_ACTOR
            )
            for label, (name, role, who) in users.items()
        }
    if today is not None:
        await contests.advance(engine, today, CLI_ACTOR)
    return tokens


def _demo(args: argparse.Namespace) -> int:
    async def work(engine: AsyncEngine) -> int:
        data = build()
        tokens = await load(engine, data, dt.datetime.now(dt.UTC).date())
        run = await calculate(engine, period=str(YEAR), trigger="cli", actor=CLI_ACTOR)
        print(
            f"Demo data: {len(data.participants)} participants, {len(data.deals)} deals, "
            f"{len(data.activities)} activities in {YEAR}; pay computed by run {run.id}.",
            file=sys.stderr,
        )
        base = f"http://{args.host}:{args.port}"
        for label, token in tokens.items():
            print(f"  {label:<8} {token}")
        print(
            f"\nWeb page: {base}/ (sign in with a token above; TV view: {base}/app/#/tv)\n"
            f"Try: curl -H 'Authorization: Bearer {tokens['rep']}' {base}/api/v1/me/earnings\n"
            f"API docs: {base}/schema",
            file=sys.stderr,
        )
        if not args.no_serve:
            await serve(engine, args.host, args.port)
        return 0

    return run_with_database(work)
