"""``incentives demo``: load the demo data set around today, print tokens, serve the API."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api.commands import add_listen_arguments, serve
from incentives.api.listen import ensure_port_free
from incentives.audit.log import CLI_ACTOR
from incentives.audit.log import record as audit_record
from incentives.calc.runs import calculate
from incentives.config import load_settings
from incentives.db.connection import driver_of, driver_transaction
from incentives.db.runtime import run_with_database
from incentives.demo import history, plans
from incentives.demo.dataset import DemoData, build
from incentives.demo.timeline import FIRST_MONTH, Timeline
from incentives.demo.tokens import DemoUser, ensure_tokens, principal_id
from incentives.games import contests
from incentives.ingest.items import KINDS
from incentives.ingest.service import ingest
from incentives.periods.store import generate
from incentives.plans.publish import publish

CHUNK = 10_000
TOKENS_FILE = "demo-tokens.json"


class DemoMismatch(Exception):
    """The database holds the demo built around another day."""


@dataclass(frozen=True)
class Loaded:
    """What loading the demo did: its day, its data, and a token per demo user."""

    today: dt.date
    data: DemoData
    tokens: dict[str, str]
    renewed: frozenset[str]
    current_run: int


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``demo`` command."""
    parser = sub.add_parser(
        "demo", help="load the demo data set around today, print tokens, serve the API"
    )
    add_listen_arguments(parser)
    parser.add_argument(
        "--today",
        type=dt.date.fromisoformat,
        help="build the demo around this day (YYYY-MM-DD) instead of today",
    )
    parser.add_argument("--no-serve", action="store_true", help="load and print tokens only")
    parser.set_defaults(handler=_demo)


async def built_around(engine: AsyncEngine) -> dt.date | None:
    """The day the demo in this database was built around, if it holds one."""
    async with engine.connect() as sa_conn:
        day = await (await driver_of(sa_conn)).fetchval(
            "SELECT entity_key FROM audit_log WHERE entity = 'demo' AND action = 'load'"
            " ORDER BY id LIMIT 1"
        )
    return None if day is None else dt.date.fromisoformat(day)


def _users(data: DemoData) -> list[DemoUser]:
    names = {p["external_id"]: p["name"] for p in data.participants}
    rep, manager = data.reps[0], data.managers[0]
    return [
        DemoUser("rep", names[rep], "rep", rep),
        DemoUser("manager", names[manager], "manager", manager),
        DemoUser("finance", "demo finance", "finance", None),
        DemoUser("admin", "demo admin", "admin", None),
    ]


async def _cast(engine: AsyncEngine, data: DemoData) -> history.Cast:
    """The principals the demo's past needs (none of them gets a printed token)."""
    users = _users(data)
    names = {p["external_id"]: p["name"] for p in data.participants}
    askers = [DemoUser(f"asker-{n}", names[r], "rep", r) for n, r in enumerate(data.reps[:4])]
    async with driver_transaction(engine) as conn:
        found = {
            user.label: await history.principal(conn, await principal_id(conn, user, CLI_ACTOR))
            for user in (users[2], history.SALES_OPS, *askers)
        }
    return history.Cast(
        finance=found["finance"],
        sales_ops=found[history.SALES_OPS.label],
        askers=[found[a.label] for a in askers],
    )


async def load_data(engine: AsyncEngine, timeline: Timeline, data: DemoData) -> None:
    """The demo's calendar, data (through ingest) and plan files, without its past; a
    replay changes nothing."""
    async with driver_transaction(engine) as conn:
        for year in timeline.years:
            await generate(conn, year, FIRST_MONTH, CLI_ACTOR)
        for kind in KINDS:
            items = getattr(data, kind)
            for at in range(0, len(items), CHUNK):
                await ingest(conn, kind, items[at : at + CHUNK], CLI_ACTOR)
        documents = (
            plans.commission_plans(timeline)
            + plans.achievement_rules(timeline)
            + plans.contests(timeline)
        )
        for name, source in documents:
            await publish(conn, source, name, CLI_ACTOR)


async def load(
    engine: AsyncEngine, today: dt.date, *, tokens_at: Path | None = None, grace_days: int = 5
) -> Loaded:
    """Load the demo built around ``today``: its data through ingest, its plans, its past
    (once), and its contests as of today; loading it again changes nothing. Tokens kept
    at ``tokens_at`` are reused. DemoMismatch if the database holds the demo of another
    day."""
    earlier = await built_around(engine)
    if earlier is not None and earlier != today:
        raise DemoMismatch(
            f"this database holds the demo built around {earlier}; build it around"
            f" {today} on an empty database (remove the data folder, or set"
            " INCENTIVES_DATA_DIR), or leave out --today"
        )
    timeline = Timeline(today)
    data = build(today)
    await load_data(engine, timeline, data)
    if earlier is None:
        async with driver_transaction(engine) as conn:
            await audit_record(conn, CLI_ACTOR, "load", "demo", key=today.isoformat())
    if not await history.has_history(engine):
        await history.play(engine, timeline, await _cast(engine, data), grace_days)
    await contests.advance(engine, today, CLI_ACTOR)
    run = await calculate(engine, period=timeline.current.label, trigger="cli", actor=CLI_ACTOR)
    async with driver_transaction(engine) as conn:
        tokens = await ensure_tokens(conn, _users(data), tokens_at, CLI_ACTOR)
    return Loaded(today, data, tokens.tokens, tokens.renewed, run.id)


def _announce(loaded: Loaded, kept: Path, base: str) -> None:
    """What was loaded and the tokens, each with who it signs in as (tokens on stdout)."""
    data = loaded.data
    print(
        f"Demo data around {loaded.today}: {len(data.participants)} participants,"
        f" {len(data.deals)} deals, {len(data.activities)} activities;"
        f" {Timeline(loaded.today).current.label} computed by run {loaded.current_run}.",
        file=sys.stderr,
    )
    if loaded.renewed:
        print(
            f"New tokens for {', '.join(sorted(loaded.renewed))}; any earlier ones are"
            f" revoked. Kept in {kept} for the next start.",
            file=sys.stderr,
        )
    else:
        print(f"The same tokens as last time (kept in {kept}).", file=sys.stderr)
    for user in _users(data):
        who = f"{user.name} ({user.participant})" if user.participant else user.name
        print(f"  {user.label:<8} {loaded.tokens[user.label]}  {who}")
    exports = " ".join(f"{label.upper()}={token}" for label, token in loaded.tokens.items())
    print(f"\nFor the README's examples: export {exports}")
    print(
        f"Web page: {base}/ (sign in with a token above; TV view: {base}/app/#/tv)\n"
        f"API docs: {base}/schema",
        file=sys.stderr,
    )


def _demo(args: argparse.Namespace) -> int:
    settings = load_settings()
    if not args.no_serve:
        # Before the database starts and the demo loads: a busy port shows at once.
        ensure_port_free(args.host, args.port)

    async def work(engine: AsyncEngine) -> int:
        today = args.today or await built_around(engine) or dt.datetime.now(dt.UTC).date()
        try:
            loaded = await load(
                engine,
                today,
                tokens_at=settings.data_dir / TOKENS_FILE,
                grace_days=settings.close_grace_days,
            )
        except DemoMismatch as exc:
            print(f"incentives demo: {exc}", file=sys.stderr)
            return 2
        _announce(loaded, settings.data_dir / TOKENS_FILE, f"http://{args.host}:{args.port}")
        if not args.no_serve:
            await serve(engine, args.host, args.port)
        return 0

    # A stop asked for (Ctrl-C, SIGTERM) is how a served demo ends.
    return run_with_database(work, stopped=0)
