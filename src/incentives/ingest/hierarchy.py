"""Management cycles: on no day may anyone report to themselves through their managers.

A cycle would let each manager in it read the pay of everyone below all the others (the
access rules follow the reporting line), and would roll credit up without end. Each
assignment of a batch is followed up its manager's line, day range by day range, with
the batch applied over what is stored, so a cycle that exists only where two dated
ranges overlap is found too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True)
class Line:
    """Who a participant reports to from ``first`` to ``last`` (None: open-ended)."""

    participant: int
    first: dt.date
    last: dt.date | None
    manager: int | None


@dataclass(frozen=True)
class Cycle:
    """People in a cycle, starting and ending with the same one, and the days it holds."""

    people: tuple[int, ...]
    first: dt.date
    last: dt.date | None


def _meet(
    a: tuple[dt.date, dt.date | None], b: tuple[dt.date, dt.date | None]
) -> tuple[dt.date, dt.date | None] | None:
    first = max(a[0], b[0])
    ends = [d for d in (a[1], b[1]) if d is not None]
    last = min(ends) if ends else None
    return None if last is not None and last < first else (first, last)


def cycle_through(line: Line, lines: dict[int, list[Line]]) -> Cycle | None:
    """The first cycle ``line`` closes in the hierarchy ``lines`` (by participant; ``line``
    among them), or None."""
    if line.manager is None:
        return None
    # Depth first up the manager's line: (who, path so far, the days the path holds).
    stack: list[tuple[int, tuple[int, ...], tuple[dt.date, dt.date | None]]] = [
        (line.manager, (line.participant, line.manager), (line.first, line.last))
    ]
    while stack:
        who, path, days = stack.pop()
        if who == line.participant:
            return Cycle(path, *days)
        for above in lines.get(who, ()):
            meet = _meet(days, (above.first, above.last))
            if above.manager is None or meet is None:
                continue
            if above.manager in path[1:]:
                continue  # a loop above that does not come back to this participant
            stack.append((above.manager, (*path, above.manager), meet))
    return None


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


def describe(cycle: Cycle, names: dict[int, str]) -> str:
    """``a → b → c → a from 2026-03-01`` (and ``to …`` when it ends)."""
    text = " → ".join(names.get(p, str(p)) for p in cycle.people)
    text += f" from {cycle.first.isoformat()}"
    return text if cycle.last is None else f"{text} to {cycle.last.isoformat()}"


async def cycles_closed(conn: asyncpg.Connection, batch: list[Line]) -> list[tuple[int, str]]:
    """Each line of ``batch`` (by position) that closes a management cycle once the batch
    is applied over what is stored, and the cycle in words, people by external id."""
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
