"""Management cycles: on no day may anyone report to themselves through their managers.

A cycle would let each manager in it read the pay of everyone below all the others (the
access rules follow the reporting line), and would roll credit up without end. Each
assignment of a batch is followed up its manager's line, day range by day range, with
the batch applied over what is stored, so a cycle that exists only where two dated
ranges overlap is found too. The tracing itself is pure, in ``ingest.rules``.
"""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg

from incentives.ingest.rules import Line, cycle_through, describe


async def hierarchy_with(conn: asyncpg.Connection, batch: Iterable[Line]) -> dict[int, list[Line]]:
    """The stored reporting lines with ``batch`` applied over them (same participant and
    first day: replaced), by participant."""
    incoming = {(b.participant, b.first): b for b in batch}
    stored = await conn.fetch(
        "SELECT participant_id, valid_from, valid_to, manager_id FROM assignments"
        " WHERE manager_id IS NOT NULL"
    )
    merged = {(r["participant_id"], r["valid_from"]): Line(*r.values()) for r in stored} | incoming
    by_person: dict[int, list[Line]] = {}
    for found in merged.values():
        by_person.setdefault(found.participant, []).append(found)
    return by_person


async def cycles_closed(conn: asyncpg.Connection, batch: list[Line]) -> list[tuple[int, str]]:
    """Each line of ``batch`` (by position) that closes a management cycle once the batch
    is applied over what is stored, and the refusal naming it, people by external id."""
    lines = await hierarchy_with(conn, batch)
    found = [(index, cycle_through(line, lines)) for index, line in enumerate(batch)]
    cycles = [(index, cycle) for index, cycle in found if cycle is not None]
    if not cycles:
        return []
    names = {
        r["id"]: r["external_id"]
        for r in await conn.fetch(
            "SELECT id, external_id FROM participants WHERE id = ANY($1::bigint[])",
            sorted({p for _, cycle in cycles for p in cycle.people}),
        )
    }
    return [(index, describe(cycle, names)) for index, cycle in cycles]
