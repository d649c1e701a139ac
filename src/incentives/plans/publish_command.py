"""``incentives plans publish``: plan files into the database, or a dry run of them."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.calc.dry_run import PlanImpact
from incentives.calc.dry_run import dry_run as dry_run_plan
from incentives.db.connection import driver_transaction
from incentives.db.runtime import run_with_database
from incentives.plans.load import PlanFileError
from incentives.plans.publish import PublishConflict, publish


def publish_files(paths: list[Path], *, dry_run: bool) -> int:
    """Publish every file (all or none), or print what each would change; the exit code."""
    sources = [(str(path), path.read_text(encoding="utf-8")) for path in paths]

    async def work(engine: AsyncEngine) -> int:
        try:
            if dry_run:
                for name, source in sources:
                    _print_impact(await dry_run_plan(engine, source, name))
                return 0
            async with driver_transaction(engine) as conn:
                for name, source in sources:
                    version = await publish(conn, source, name, CLI_ACTOR)
                    state = "published" if version.created else "unchanged (already published)"
                    print(f"{version.key} v{version.version}: {state}")
        except PlanFileError as exc:
            print(exc, file=sys.stderr)
            return 1
        except PublishConflict as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0

    return run_with_database(work)


def _print_impact(impact: PlanImpact) -> None:
    print(
        f"{impact.plan} v{impact.version} against v{impact.current_version} "
        f"over {', '.join(impact.periods) or 'no open periods'} (nothing published):"
    )
    for p in impact.participants:
        print(f"  {p.participant:<24} {p.current:>14} -> {p.proposed:>14}  {p.difference:>14}")
    print(f"  total difference {impact.total_difference} {impact.currency}")
