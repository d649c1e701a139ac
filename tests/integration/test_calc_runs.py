"""Calculation runs on the demo data: deterministic, atomic, exclusive per scope."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.calc import incremental, persist, runs
from incentives.db.connection import driver_transaction
from incentives.demo.commands import load_data
from incentives.demo.dataset import build
from incentives.demo.timeline import Timeline

# The demo's data around a late day of 2026, without its past: every period still open.
DAY = dt.date(2026, 11, 23)


async def _results(db: AsyncEngine) -> list[Any]:
    async with db.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT 'result', participant_id, plan_key, period, total_minor::text,"
                " measures::text FROM participant_results UNION ALL"
                " SELECT 'line', participant_id, plan_key, period,"
                " line_no || ':' || amount_minor, trace::text FROM earning_lines UNION ALL"
                " SELECT 'credit', participant_id, plan_key, period,"
                " deal_id || ':' || source || ':' || via_id, share || ':' || amount"
                " FROM credit_rows"
                " ORDER BY 1, 2, 3, 4, 5"
            )
        )
        return [tuple(r) for r in rows]


@pytest.fixture
async def demo(db: AsyncEngine) -> AsyncEngine:
    await load_data(db, Timeline(DAY), build(DAY))
    return db


async def test_same_inputs_and_plans_give_identical_results(demo: AsyncEngine) -> None:
    first = await runs.calculate(demo, period="2026", trigger="cli", actor=CLI_ACTOR)
    assert first.status == "succeeded"
    assert first.counts["results"] > 200 and first.counts["credits"] > 1000
    assert set(first.plan_versions) == {"account-executive", "manager-overlay", "sdr"}
    before = await _results(demo)
    second = await runs.calculate(demo, period="2026", trigger="cli", actor=CLI_ACTOR)
    assert second.id != first.id and second.input_watermark == first.input_watermark
    assert await _results(demo) == before


async def test_a_run_tells_its_progress_plan_by_plan(demo: AsyncEngine) -> None:
    told: list[tuple[int, int]] = []
    await runs.calculate(
        demo,
        period="2026",
        trigger="cli",
        actor=CLI_ACTOR,
        on_progress=lambda *t: told.append(t),
    )
    assert told == [(0, 3), (1, 3), (2, 3), (3, 3)]  # three plans in force


async def test_a_run_that_fails_halfway_leaves_the_previous_results_whole(
    demo: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await runs.calculate(demo, period="2026", trigger="cli", actor=CLI_ACTOR)
    before = await _results(demo)
    real = persist.replace_results
    calls = 0

    async def crash_on_second_plan(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:  # the first plan's results are already replaced by now
            raise RuntimeError("the machine went away")
        return await real(*args, **kwargs)

    monkeypatch.setattr(runs, "replace_results", crash_on_second_plan)
    with pytest.raises(RuntimeError, match="went away"):
        await runs.calculate(demo, period="2026", trigger="cli", actor=CLI_ACTOR)
    assert await _results(demo) == before
    async with demo.connect() as conn:
        last = (
            await conn.execute(text("SELECT status, error FROM calc_runs ORDER BY id DESC LIMIT 1"))
        ).one()
    assert tuple(last) == ("failed", "the machine went away")


async def test_two_runs_over_one_scope_never_write_together(demo: AsyncEngine) -> None:
    async with driver_transaction(demo) as holder:
        # Someone is computing the account-executive plan's Q1 right now.
        await holder.execute(
            "SELECT pg_advisory_xact_lock(hashtext('calc:account-executive:2026-Q1'))"
        )
        with pytest.raises(runs.RunBusy, match="account-executive 2026-Q1 is in progress"):
            await runs.calculate(demo, period="2026-Q1", trigger="api", actor=CLI_ACTOR)
    # Once it is done, the next run goes through.
    done = await runs.calculate(demo, period="2026-Q1", trigger="api", actor=CLI_ACTOR)
    assert done.status == "succeeded"


async def test_runs_over_different_people_go_side_by_side(demo: AsyncEngine) -> None:
    async with driver_transaction(demo) as conn:
        rep = await conn.fetchval("SELECT id FROM participants WHERE external_id = 'emea-rep-03'")
    async with driver_transaction(demo) as holder:
        # A recompute of emea-rep-03 (say, after their deal) is writing right now.
        await runs.lock(holder, "account-executive", ["2026-Q1"], {rep}, wait=True)
        other = await runs.calculate(
            demo, period="2026-Q1", participants=["emea-rep-04"], trigger="api", actor=CLI_ACTOR
        )
        assert other.status == "succeeded"
        with pytest.raises(runs.RunBusy):
            await runs.calculate(
                demo, period="2026-Q1", participants=["emea-rep-03"], trigger="api", actor=CLI_ACTOR
            )
        with pytest.raises(runs.RunBusy):
            await runs.calculate(demo, period="2026-Q1", trigger="api", actor=CLI_ACTOR)


async def test_a_scope_must_name_known_periods_and_people(demo: AsyncEngine) -> None:
    with pytest.raises(runs.ScopeError, match="unknown period '2031-Q1'"):
        await runs.calculate(demo, period="2031-Q1", trigger="api", actor=CLI_ACTOR)
    with pytest.raises(runs.ScopeError, match="unknown participants: ghost"):
        await runs.calculate(
            demo, period="2026-Q1", participants=["ghost"], trigger="api", actor=CLI_ACTOR
        )


async def test_a_partial_run_replaces_only_its_participants(demo: AsyncEngine) -> None:
    await runs.calculate(demo, period="2026", trigger="cli", actor=CLI_ACTOR)
    everyone = await _results(demo)
    partial = await runs.calculate(
        demo, period="2026", participants=["emea-rep-03"], trigger="cli", actor=CLI_ACTOR
    )
    assert 0 < partial.counts["results"] <= 4
    assert await _results(demo) == everyone
    async with driver_transaction(demo) as conn:
        rewritten = await conn.fetch(
            "SELECT DISTINCT p.external_id FROM participant_results r"
            " JOIN participants p ON p.id = r.participant_id WHERE r.run_id = $1",
            partial.id,
        )
    assert [r["external_id"] for r in rewritten] == ["emea-rep-03"]


async def test_managers_asked_for_meanwhile_are_recomputed_in_one_run(demo: AsyncEngine) -> None:
    async with driver_transaction(demo) as conn:
        found = await conn.fetch(
            "SELECT external_id, id FROM participants WHERE external_id = ANY($1)",
            ["emea-rep-03", "emea-rep-04", "emea-rep-05"],
        )
    ids: dict[str, int] = {r["external_id"]: r["id"] for r in found}
    rollups = incremental.Rollups()
    async with driver_transaction(demo) as holder:
        # A run over emea-rep-03 is writing: the first merged run waits for it...
        await runs.lock(holder, "account-executive", ["2026-Q1"], {ids["emea-rep-03"]}, wait=True)
        first = asyncio.create_task(
            rollups.recompute(demo, "2026", {ids["emea-rep-03"]}, CLI_ACTOR)
        )
        await asyncio.sleep(0.2)
        # ...and two more requests arrive meanwhile.
        later = [
            asyncio.create_task(rollups.recompute(demo, "2026", {ids[who]}, CLI_ACTOR))
            for who in ("emea-rep-04", "emea-rep-05")
        ]
        await asyncio.sleep(0.2)
        assert not first.done()
    done = await asyncio.gather(first, *later)
    assert all(run.status == "succeeded" for run in done)
    assert done[1].id == done[2].id != done[0].id
    assert sorted(done[1].scope["participants"]) == sorted([ids["emea-rep-04"], ids["emea-rep-05"]])
    async with driver_transaction(demo) as conn:
        assert await conn.fetchval("SELECT count(*) FROM calc_runs") == 2


async def test_a_quarter_run_gives_what_the_year_gave(demo: AsyncEngine) -> None:
    # The manager overlay carries nothing between quarters, so a quarter's run reads only
    # that quarter's deals; the account-executive plan (draw, clawback) still reads the year.
    await runs.calculate(demo, period="2026", trigger="cli", actor=CLI_ACTOR)
    year = await _results(demo)
    async with driver_transaction(demo) as conn:
        managers = {
            r["id"]
            for r in await conn.fetch(
                "SELECT DISTINCT participant_id AS id FROM plan_assignments"
                " WHERE plan_key = 'manager-overlay'"
            )
        }
        rep = await conn.fetchval("SELECT id FROM participants WHERE external_id = 'emea-rep-03'")
    for quarter in ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"):
        everyone = await runs.calculate(demo, period=quarter, trigger="cli", actor=CLI_ACTOR)
        assert everyone.counts["results"] > 0
        scoped = await runs.calculate(
            demo, period=quarter, participant_ids=managers | {rep}, trigger="cli", actor=CLI_ACTOR
        )
        assert scoped.counts["results"] > len(managers)
        assert await _results(demo) == year, quarter


async def test_a_merged_managers_run_locks_people_not_whole_periods(
    demo: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Past the limit a run would lock whole plan-periods and hold up every owner's run.
    monkeypatch.setattr(incremental, "MAX_PARTICIPANT_LOCKS", 2)
    await runs.calculate(demo, period="2026", trigger="cli", actor=CLI_ACTOR)
    before = await _results(demo)
    async with driver_transaction(demo) as conn:
        found = await conn.fetch(
            "SELECT external_id, id FROM participants WHERE external_id LIKE 'emea-rep-0%'"
            " ORDER BY external_id LIMIT 4"
        )
    ids = [r["id"] for r in found]
    rollups = incremental.Rollups()
    async with driver_transaction(demo) as holder:
        await runs.lock(holder, "account-executive", ["2026-Q1"], {ids[0]}, wait=True)
        first = asyncio.create_task(rollups.recompute(demo, "2026", {ids[0]}, CLI_ACTOR))
        await asyncio.sleep(0.2)
        later = [
            asyncio.create_task(rollups.recompute(demo, "2026", {pid}, CLI_ACTOR))
            for pid in ids[1:]
        ]
        await asyncio.sleep(0.2)
    done = await asyncio.gather(first, *later)
    assert [sorted(run.scope["participants"]) for run in done] == [
        [ids[0]],
        ids[1:3],
        ids[1:3],
        [ids[3]],
    ]
    # Run by the worker process, they give what the full run gave.
    assert await _results(demo) == before
