"""Set-based idempotent upsert on one table, keyed by a natural key.

Rows are compared with what is stored; only new rows are inserted (COPY) and only changed
rows are updated, so replaying a batch changes nothing and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import msgspec

Row = dict[str, Any]


@dataclass(frozen=True)
class TableSpec:
    """How one table is upserted."""

    name: str
    key: tuple[str, ...]
    # Stored columns compared and written (the key included), with their PostgreSQL types.
    columns: Mapping[str, str]
    versioned: bool = False
    json_columns: frozenset[str] = field(default_factory=frozenset)


@dataclass
class Outcome:
    """What an upsert did: new rows, changed rows (with their previous values), the rest."""

    created: list[tuple[int, Row]] = field(default_factory=list)
    updated: list[tuple[int, Row, Row]] = field(default_factory=list)
    unchanged: int = 0


def _key(spec: TableSpec, row: Mapping[str, Any]) -> tuple[Any, ...]:
    if len(spec.key) == 1:  # the common case, on the hot path of every row
        return (row[spec.key[0]],)
    return tuple(row[c] for c in spec.key)


async def load_existing(
    conn: asyncpg.Connection, spec: TableSpec, keys: Sequence[tuple[Any, ...]]
) -> dict[tuple[Any, ...], tuple[int, Row]]:
    """Stored rows (id and compared columns) for the given keys."""
    if not keys:
        return {}
    unnest = ", ".join(f"${i + 1}::{spec.columns[c]}[]" for i, c in enumerate(spec.key))
    on = " AND ".join(f"t.{c} = k.{c}" for c in spec.key)
    # JSON comes back as text and is decoded here: faster than the driver's json codec.
    cols = ", ".join(
        f"t.{c}::text AS {c}" if c in spec.json_columns else f"t.{c}" for c in spec.columns
    )
    sql = (
        f"SELECT t.id, {cols} FROM {spec.name} t "
        f"JOIN unnest({unnest}) AS k({', '.join(spec.key)}) ON {on}"
    )
    args = [list(column) for column in zip(*keys, strict=True)]
    found: dict[tuple[Any, ...], tuple[int, Row]] = {}
    for record in await conn.fetch(sql, *args):
        row = {c: record[c] for c in spec.columns}
        for c in spec.json_columns:
            row[c] = msgspec.json.decode(row[c])
        found[_key(spec, row)] = (record["id"], row)
    return found


def _encode(spec: TableSpec, row: Row) -> tuple[Any, ...]:
    return tuple(
        msgspec.json.encode(row[c]).decode() if c in spec.json_columns else row[c]
        for c in spec.columns
    )


async def upsert(
    conn: asyncpg.Connection,
    spec: TableSpec,
    rows: Sequence[Row],
    *,
    same: Callable[[Row, Row], bool] | None = None,
    existing: dict[tuple[Any, ...], tuple[int, Row]] | None = None,
) -> Outcome:
    """Insert new rows, update changed ones, count the unchanged; all in the caller's transaction.

    ``same`` compares a stored row with an incoming one (default: equal compared columns);
    ``existing`` may be passed when the caller already loaded the stored rows.
    """
    stored = (
        existing
        if existing is not None
        else await load_existing(conn, spec, [_key(spec, r) for r in rows])
    )
    equal = same or (lambda old, new: all(old[c] == new[c] for c in spec.columns))
    outcome = Outcome()
    new_rows: list[Row] = []
    changed: list[tuple[int, Row, Row]] = []
    for row in rows:
        hit = stored.get(_key(spec, row))
        if hit is None:
            new_rows.append(row)
        elif equal(hit[1], row):
            outcome.unchanged += 1
        else:
            changed.append((hit[0], hit[1], row))

    if new_rows:
        ids = [
            r[0]
            for r in await conn.fetch(
                "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)",
                spec.name,
                len(new_rows),
            )
        ]
        await conn.copy_records_to_table(
            spec.name,
            records=[(i, *_encode(spec, r)) for i, r in zip(ids, new_rows, strict=True)],
            columns=["id", *spec.columns],
        )
        outcome.created = list(zip(ids, new_rows, strict=True))

    if changed:
        assignments = ", ".join(
            f"{c} = ${i + 2}::{spec.columns[c]}" for i, c in enumerate(spec.columns)
        )
        version = ", version = version + 1" if spec.versioned else ""
        await conn.executemany(
            f"UPDATE {spec.name} SET {assignments}, updated_at = now(){version} WHERE id = $1",
            [(row_id, *_encode(spec, new)) for row_id, _, new in changed],
        )
        outcome.updated = changed
    return outcome
