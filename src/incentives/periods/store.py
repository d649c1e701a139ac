"""Storing generated fiscal years and listing periods."""

from __future__ import annotations

import asyncpg
import msgspec

from incentives.audit import log as audit
from incentives.periods.calendar import fiscal_year


class GeneratedYear(msgspec.Struct):
    """How many periods a generation created, and how many were there already."""

    fiscal_year: int
    first_month: int
    created: int
    existing: int


async def generate(
    conn: asyncpg.Connection, year: int, first_month: int, actor: audit.Actor
) -> GeneratedYear:
    """Create the year's periods that do not exist yet (idempotent) and audit it."""
    specs = fiscal_year(year, first_month)
    created = await conn.fetch(
        "INSERT INTO periods (kind, label, fiscal_year, start_date, end_date)"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::date[], $5::date[])"
        " ON CONFLICT DO NOTHING RETURNING label",
        [p.kind for p in specs],
        [p.label for p in specs],
        [p.fiscal_year for p in specs],
        [p.start for p in specs],
        [p.end for p in specs],
    )
    result = GeneratedYear(year, first_month, len(created), len(specs) - len(created))
    if created:
        await audit.record(
            conn,
            actor,
            "generate",
            "periods",
            key=str(year),
            after={"first_month": first_month, "created": [r["label"] for r in created]},
        )
    return result
