"""Management cycles are refused at every effective date, through the service and CSV
files, and nothing of a refused batch is written (the API: tests/api)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.db.connection import driver_transaction
from incentives.ingest.csv_import import ImportFailed, import_csv
from incentives.ingest.problems import BatchRejected
from tests.integration.test_ingest import PEOPLE, run


def line(who: str, manager: str, first: str, last: str | None = None) -> dict[str, Any]:
    """``who`` reports to ``manager`` from ``first`` to ``last``."""
    found = {"participant": who, "manager": manager, "team": "east", "valid_from": first}
    return found if last is None else found | {"valid_to": last}


async def stored(db: AsyncEngine) -> tuple[int, int]:
    async with driver_transaction(db) as conn:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM assignments), (SELECT count(*) FROM teams)"
        )
    assert row is not None
    return row[0], row[1]


async def test_a_cycle_in_one_batch_is_refused_naming_each_item_and_the_cycle(
    db: AsyncEngine,
) -> None:
    await run(db, "participants", PEOPLE)
    batch = [line("ana", "bo", "2026-03-01"), line("bo", "mia", "2026-03-01")]
    batch.append(line("mia", "ana", "2026-03-01"))
    with pytest.raises(BatchRejected) as caught:
        await run(db, "assignments", batch)
    assert [(p.item, p.field, p.message) for p in caught.value.problems] == [
        (0, "manager", "makes a management cycle: ana → bo → mia → ana from 2026-03-01"),
        (1, "manager", "makes a management cycle: bo → mia → ana → bo from 2026-03-01"),
        (2, "manager", "makes a management cycle: mia → ana → bo → mia from 2026-03-01"),
    ]
    assert await stored(db) == (0, 0)
    # Without the line that closes it, the same hierarchy is taken.
    assert (await run(db, "assignments", batch[:2])).created == 2


async def test_a_cycle_only_where_dated_ranges_overlap_is_refused(db: AsyncEngine) -> None:
    await run(db, "participants", PEOPLE)
    # ana under bo for good; bo under mia for the first half of 2026 only.
    before = [line("ana", "bo", "2026-01-01"), line("bo", "mia", "2026-01-01", "2026-06-30")]
    await run(db, "assignments", before)
    with pytest.raises(BatchRejected) as caught:
        await run(db, "assignments", [line("mia", "ana", "2026-04-01", "2026-12-31")])
    assert [(p.field, p.message) for p in caught.value.problems] == [
        (
            "manager",
            "makes a management cycle: mia → ana → bo → mia from 2026-04-01 to 2026-06-30",
        )
    ]
    assert await stored(db) == (2, 1)
    # Once bo no longer reports to mia, mia may report to ana.
    assert (await run(db, "assignments", [line("mia", "ana", "2026-07-01")])).created == 1


async def test_a_csv_file_closing_a_cycle_names_its_line_and_imports_nothing(
    db: AsyncEngine, tmp_path: Path
) -> None:
    await run(db, "participants", PEOPLE)
    path = tmp_path / "lines.csv"
    path.write_text(
        "participant,manager,valid_from\nana,bo,2026-01-01\nbo,ana,2026-05-01\n", encoding="utf-8"
    )
    with pytest.raises(ImportFailed) as caught:
        await import_csv(db, "assignments", path)
    assert [str(p) for p in caught.value.problems] == [
        "line 2, column 'manager': makes a management cycle: ana → bo → ana from 2026-05-01",
        "line 3, column 'manager': makes a management cycle: bo → ana → bo from 2026-05-01",
    ]
    assert await stored(db) == (0, 0)
