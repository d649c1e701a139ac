"""Ingest through the service layer on a real PostgreSQL."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.db.connection import driver_transaction
from incentives.ingest.problems import BatchRejected
from incentives.ingest.service import IngestResult, ingest


async def run(engine: AsyncEngine, kind: str, items: list[dict[str, Any]]) -> IngestResult:
    async with driver_transaction(engine) as conn:
        return await ingest(conn, kind, items, CLI_ACTOR)


PEOPLE = [
    {"external_id": "ana", "name": "Ana Lima", "currency": "USD", "email": "ana@example.com"},
    {"external_id": "bo", "name": "Bo Chen", "currency": "USD"},
    {"external_id": "mia", "name": "Mia Roth", "currency": "EUR"},
]


def deal(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "external_id": "D-1",
        "owner": "ana",
        "amount": "12500.50",
        "currency": "USD",
        "close_date": "2026-02-14",
        "status": "won",
        "product": "platform",
    }
    return base | overrides


async def test_replaying_a_batch_changes_nothing(db: AsyncEngine) -> None:
    assert (await run(db, "participants", PEOPLE)).created == 3
    again = await run(db, "participants", PEOPLE)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert again.audit_id is None

    first = await run(db, "deals", [deal(), deal(external_id="D-2", amount=99)])
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    replay = await run(db, "deals", [deal(), deal(external_id="D-2", amount=99)])
    assert (replay.created, replay.updated, replay.unchanged) == (0, 0, 2)
    async with driver_transaction(db) as conn:
        assert await conn.fetchval("SELECT count(*) FROM deal_history") == 2


async def test_a_changed_deal_adds_a_history_row(db: AsyncEngine) -> None:
    await run(db, "participants", PEOPLE)
    await run(db, "deals", [deal()])
    changed = await run(
        db,
        "deals",
        [
            deal(
                owner="bo",
                amount="13000",
                splits=[
                    {"participant": "bo", "percent": "60"},
                    {"participant": "ana", "percent": 40},
                ],
            )
        ],
    )
    assert (changed.created, changed.updated) == (0, 1)
    async with driver_transaction(db) as conn:
        rows = await conn.fetch(
            "SELECT h.version, h.snapshot FROM deal_history h ORDER BY h.version"
        )
        assert [r["version"] for r in rows] == [1, 2]
        assert rows[0]["snapshot"]["amount_minor"] == 1250050
        assert rows[1]["snapshot"]["amount_minor"] == 1300000
        splits = await conn.fetch(
            "SELECT p.external_id, s.percent FROM deal_splits s"
            " JOIN participants p ON p.id = s.participant_id ORDER BY 1"
        )
        assert [(r[0], str(r[1])) for r in splits] == [("ana", "40.000000"), ("bo", "60.000000")]
        assert await conn.fetchval("SELECT version FROM deals") == 2
    # The same splits again, in another order: nothing changes.
    same = await run(
        db,
        "deals",
        [
            deal(
                owner="bo",
                amount="13000.00",
                splits=[
                    {"participant": "ana", "percent": "40.0"},
                    {"participant": "bo", "percent": "60"},
                ],
            )
        ],
    )
    assert (same.updated, same.unchanged) == (0, 1)


async def test_one_bad_item_rejects_the_whole_batch(db: AsyncEngine) -> None:
    await run(db, "participants", PEOPLE)
    batch = [
        deal(),
        deal(external_id="D-2", amount="10.005"),
        deal(external_id="D-3", owner="nobody"),
        deal(external_id="D-4", status="maybe"),
    ]
    with pytest.raises(BatchRejected) as caught:
        await run(db, "deals", batch)
    # Type errors are reported first; fix them and the semantic problems show.
    assert [(p.item, p.field) for p in caught.value.problems] == [(3, "status")]
    with pytest.raises(BatchRejected) as caught:
        await run(db, "deals", batch[:3])
    problems = {(p.item, p.key, p.field): p.message for p in caught.value.problems}
    assert problems == {
        (1, "D-2", "amount"): "10.005 has more decimal places than USD allows (2)",
        (2, "D-3", "owner"): "unknown participant 'nobody'",
    }
    async with driver_transaction(db) as conn:
        assert await conn.fetchval("SELECT count(*) FROM deals") == 0


async def test_splits_must_sum_to_exactly_100(db: AsyncEngine) -> None:
    await run(db, "participants", PEOPLE)
    bad = deal(
        splits=[{"participant": "ana", "percent": "50"}, {"participant": "bo", "percent": "49.99"}]
    )
    with pytest.raises(BatchRejected) as caught:
        await run(db, "deals", [bad])
    assert [(p.field, p.message) for p in caught.value.problems] == [
        ("splits", "percentages sum to 99.99, not 100")
    ]


async def test_overlapping_assignments_are_refused(db: AsyncEngine) -> None:
    await run(db, "participants", PEOPLE)
    first_half = {
        "participant": "ana",
        "manager": "mia",
        "team": "east",
        "valid_from": "2026-01-01",
        "valid_to": "2026-06-30",
    }
    assert (await run(db, "assignments", [first_half])).created == 1
    # Both ends are inclusive: a range starting on the last day of another overlaps it.
    for start in ("2026-06-01", "2026-06-30"):
        overlapping = {"participant": "ana", "team": "west", "valid_from": start}
        with pytest.raises(BatchRejected) as caught:
            await run(db, "assignments", [overlapping])
        assert [(p.field, p.message) for p in caught.value.problems] == [
            ("valid_from", "overlaps the assignment from 2026-01-01 to 2026-06-30")
        ]
    adjacent = {"participant": "ana", "team": "west", "valid_from": "2026-07-01"}
    assert (await run(db, "assignments", [adjacent])).created == 1


async def test_the_audit_log_records_an_ingest_and_cannot_be_rewritten(db: AsyncEngine) -> None:
    result = await run(db, "participants", PEOPLE)
    await run(db, "participants", [PEOPLE[0] | {"name": "Ana Lima-Souza"}])
    async with driver_transaction(db) as conn:
        entries = await conn.fetch(
            "SELECT actor, channel, action, entity, before, after FROM audit_log ORDER BY id"
        )
    assert [(e["action"], e["entity"], e["channel"]) for e in entries] == [
        ("ingest", "participants", "cli"),
        ("ingest", "participants", "cli"),
    ]
    assert entries[0]["after"]["created"] == ["ana", "bo", "mia"]
    assert entries[1]["before"]["ana"]["name"] == "Ana Lima"
    assert entries[1]["after"]["updated"]["ana"]["name"] == "Ana Lima-Souza"
    assert result.audit_id is not None
    with pytest.raises(Exception, match="append-only"):
        async with driver_transaction(db) as conn:
            await conn.execute("DELETE FROM audit_log")


async def test_split_percentages_have_at_most_four_decimals(db: AsyncEngine) -> None:
    await run(db, "participants", PEOPLE)
    fine = deal(
        splits=[
            {"participant": "ana", "percent": "33.3333"},
            {"participant": "bo", "percent": "66.6667"},
        ]
    )
    assert (await run(db, "deals", [fine])).created == 1
    too_fine = deal(
        splits=[
            {"participant": "ana", "percent": "33.33333"},
            {"participant": "bo", "percent": "66.66667"},
        ]
    )
    with pytest.raises(BatchRejected) as caught:
        await run(db, "deals", [too_fine])
    # An item is read up to its first bad field: the first split names the problem.
    assert [p.field for p in caught.value.problems] == ["splits[0].percent"]


async def test_the_database_itself_refuses_overlapping_assignments(db: AsyncEngine) -> None:
    await run(db, "participants", PEOPLE)
    await run(
        db,
        "assignments",
        [{"participant": "ana", "valid_from": "2026-01-01", "valid_to": "2026-06-30"}],
    )
    with pytest.raises(asyncpg.ExclusionViolationError):
        async with driver_transaction(db) as conn:
            await conn.execute(
                "INSERT INTO assignments (participant_id, valid_from)"
                " SELECT id, DATE '2026-06-30' FROM participants WHERE external_id = 'ana'"
            )
