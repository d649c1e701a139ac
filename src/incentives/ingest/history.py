"""Deal history: a snapshot of every version of a deal an ingest creates or changes."""

from __future__ import annotations

import asyncpg
import msgspec

from incentives.ingest import upsert as up


async def record_deal_history(
    conn: asyncpg.Connection, outcome: up.Outcome, audit_id: int | None
) -> None:
    """Store a snapshot of each deal the batch created or changed, under its new version."""
    changed = [*outcome.created, *[(deal_id, new) for deal_id, _, new in outcome.updated]]
    if not changed:
        return
    versions: dict[int, int] = {
        r["id"]: r["version"]
        for r in await conn.fetch(
            "SELECT id, version FROM deals WHERE id = ANY($1)", [deal_id for deal_id, _ in changed]
        )
    }
    now = await conn.fetchval("SELECT now()")
    await conn.copy_records_to_table(
        "deal_history",
        records=[
            (
                deal_id,
                versions[deal_id],
                now,
                audit_id,
                msgspec.json.encode(row).decode(),
            )
            for deal_id, row in changed
        ],
        columns=["deal_id", "version", "recorded_at", "audit_id", "snapshot"],
    )
