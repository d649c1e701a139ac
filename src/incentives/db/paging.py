"""A page of rows and the count of all of them, in one query."""

from __future__ import annotations

import asyncpg


async def fetch_page(
    conn: asyncpg.Connection, sql: str, *args: object
) -> tuple[list[asyncpg.Record], int]:
    """The rows of ``sql`` and how many there are in all.

    ``sql`` selects ``count(*) OVER () AS total`` and ends with ``LIMIT $n OFFSET $m``, its
    last two arguments. A page past the end has no row to read the total from: the first
    row is fetched for it instead.
    """
    rows = await conn.fetch(sql, *args)
    if rows:
        return rows, int(rows[0]["total"])
    first = await conn.fetch(sql, *args[:-2], 1, 0)
    return [], int(first[0]["total"]) if first else 0
