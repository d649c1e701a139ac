"""Closing periods: frozen results, statements, and late changes paid as adjustments.

A flat 10% quarterly plan keeps every amount checkable by hand.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.calc.load import load
from incentives.calc.runs import calculate
from incentives.calc.traces import AdjustmentTrace, DealChange, ManualAdjustmentTrace, line_trace
from incentives.cli import main
from incentives.db.connection import driver_of, driver_transaction, make_engine
from incentives.db.faults import SEALED
from incentives.engine.evaluate import evaluate
from incentives.ingest.service import ingest
from incentives.periods.close import CloseRefused, close_period
from incentives.periods.store import generate
from incentives.plans.publish import in_force, publish

PLAN = """
kind: commission
key: flat
version: 1
name: Flat ten percent
effective: {from: 2026-01-01, to: 2026-12-31}
payout_currency: USD
period: quarter
fiscal_year_starts: 1
crediting: {rollup_levels: 1}
measures:
  - {key: bookings, name: Bookings, source: deals, aggregate: sum}
components:
  - {key: commission, name: Commission, type: rate, measure: bookings, rate: 10%}
clawback: {within_days: 90}
"""

DRAW = """
draw: {amount: 1000, recoverable: true}
"""


async def feed(db: AsyncEngine, kind: str, items: list[dict[str, Any]]) -> None:
    """Ingest items as the integration would."""
    async with driver_transaction(db) as conn:
        await ingest(conn, kind, items, CLI_ACTOR)


def deal(key: str, owner: str, amount: str, close_date: str, **more: Any) -> dict[str, Any]:
    """A won USD deal unless told otherwise."""
    return {
        "external_id": key,
        "owner": owner,
        "amount": amount,
        "currency": "USD",
        "close_date": close_date,
        "status": "won",
        **more,
    }


async def setup_world(db: AsyncEngine, plan: str = PLAN) -> None:
    """rep-1 and rep-2 under mgr-1 on the plan, for fiscal 2026."""
    async with driver_transaction(db) as conn:
        await generate(conn, 2026, 1, CLI_ACTOR)
        await publish(conn, plan, "flat.yaml", CLI_ACTOR)
    await feed(
        db,
        "participants",
        [
            {"external_id": p, "name": p.upper(), "currency": "USD", "start_date": "2026-01-01"}
            for p in ("rep-1", "rep-2", "mgr-1")
        ],
    )
    await feed(
        db,
        "assignments",
        [
            {"participant": p, "manager": "mgr-1", "team": "east", "valid_from": "2026-01-01"}
            for p in ("rep-1", "rep-2")
        ],
    )
    await feed(
        db,
        "plan_assignments",
        [
            {"plan": "flat", "participant": p, "valid_from": "2026-01-01", "currency": "USD"}
            for p in ("rep-1", "rep-2")
        ],
    )


async def recompute(db: AsyncEngine) -> dict[str, Any]:
    """A full run of the fiscal year, as the nightly job does; its counts."""
    run = await calculate(db, period="2026", trigger="cli", actor=CLI_ACTOR)
    assert run.status == "succeeded"
    return run.counts


async def close(db: AsyncEngine, label: str) -> None:
    """Close a period as finance would."""
    await close_period(db, label, CLI_ACTOR)


async def fetch(db: AsyncEngine, sql: str, *args: Any) -> list[asyncpg.Record]:
    """Rows of a query."""
    async with db.connect() as sa_conn:
        return list(await (await driver_of(sa_conn)).fetch(sql, *args))


async def lines(db: AsyncEngine, who: str, period: str) -> list[tuple[str, int, dict[str, Any]]]:
    """(component, amount, trace) of a participant's earning lines in a period."""
    rows = await fetch(
        db,
        "SELECT l.component, l.amount_minor, l.trace FROM earning_lines l"
        " JOIN participants p ON p.id = l.participant_id"
        " WHERE p.external_id = $1 AND l.period = $2 ORDER BY l.line_no",
        who,
        period,
    )
    return [(r["component"], r["amount_minor"], r["trace"]) for r in rows]


async def statement_lines(db: AsyncEngine, who: str, period: str) -> list[tuple[str, str, int]]:
    """(kind, component, amount) of a participant's statement lines for a period."""
    rows = await fetch(
        db,
        "SELECT l.kind, l.component, l.amount_minor FROM statement_lines l"
        " JOIN statements s ON s.id = l.statement_id"
        " JOIN participants p ON p.id = s.participant_id"
        " WHERE p.external_id = $1 AND s.period = $2 ORDER BY l.line_no",
        who,
        period,
    )
    return [(r["kind"], r["component"], r["amount_minor"]) for r in rows]


async def statement_totals(db: AsyncEngine) -> dict[tuple[str, str], int]:
    """Every statement's total by participant and period (each checked against its lines)."""
    rows = await fetch(
        db,
        "SELECT p.external_id, s.period, s.total_minor,"
        " (SELECT sum(amount_minor) FROM statement_lines l WHERE l.statement_id = s.id) AS sum"
        " FROM statements s JOIN participants p ON p.id = s.participant_id",
    )
    assert all(r["total_minor"] == r["sum"] for r in rows)
    return {(r["external_id"], r["period"]): r["total_minor"] for r in rows}


async def plan_says(db: AsyncEngine, periods: list[str] | None = None) -> dict[str, int]:
    """What the plan says each participant earned over the year (or these periods),
    computed afresh."""
    first, last = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    async with db.connect() as sa_conn:
        conn = await driver_of(sa_conn)
        [(_, plan)] = await in_force(conn, first, last)
        loaded = await load(conn, plan, last)
    evaluation = evaluate(plan, loaded.inputs, periods)
    earned: dict[str, int] = {}
    for result in evaluation.results:
        if loaded.db_id(result.participant_id) not in loaded.covers:
            continue  # not paid under the plan (the manager only receives rollups)
        earned[result.participant_id] = earned.get(result.participant_id, 0) + result.total
    return earned


async def test_a_late_deal_for_a_closed_period_is_an_adjustment_in_the_open_one(
    db: AsyncEngine,
) -> None:
    await setup_world(db)
    await feed(db, "deals", [deal("D-1", "rep-1", "10000", "2026-02-10")])
    await recompute(db)
    await close(db, "2026-Q1")
    assert await statement_lines(db, "rep-1", "2026-Q1") == [("earning", "commission", 100000)]

    # A deal dated February arrives in May, with a Q2 deal.
    await feed(
        db,
        "deals",
        [deal("D-2", "rep-1", "2500.05", "2026-02-20"), deal("D-3", "rep-1", "500", "2026-05-02")],
    )
    counts = await recompute(db)
    assert counts["adjustments"] == 1
    # Q1 is as it closed; Q2 pays 10% of D-3 and, as an adjustment, 10% of D-2 (250.005 up).
    assert [(c, a) for c, a, _ in await lines(db, "rep-1", "2026-Q1")] == [("commission", 100000)]
    q2 = await lines(db, "rep-1", "2026-Q2")
    assert [(c, a) for c, a, _ in q2] == [("commission", 5000), ("commission", 25001)]
    trace = q2[1][2]
    assert (trace["kind"], trace["adjusts"], trace["paid"], trace["now"]) == (
        "adjustment",
        "2026-Q1",
        "1000.00",
        "1250.01",
    )
    assert [(c["deal"], c["before"], c["after"]) for c in trace["changes"]] == [
        ("D-2", None, "2500.05")
    ]
    assert "D-2 added" in trace["note"]
    shaped = line_trace(trace)
    assert isinstance(shaped, AdjustmentTrace) and shaped.component == "commission"
    assert shaped.changes == [DealChange("D-2", shaped.changes[0].deal_id, None, "2500.05")]

    # Recomputing again changes nothing: the adjustment is owed once, not once a run.
    await recompute(db)
    assert [(c, a) for c, a, _ in await lines(db, "rep-1", "2026-Q2")] == [
        ("commission", 5000),
        ("commission", 25001),
    ]
    await close(db, "2026-Q2")
    assert await statement_lines(db, "rep-1", "2026-Q2") == [
        ("earning", "commission", 5000),
        ("adjustment", "commission", 25001),
    ]
    # Once paid, the adjustment is not owed again in Q3.
    await recompute(db)
    assert await lines(db, "rep-1", "2026-Q3") == []
    totals = await statement_totals(db)
    assert totals[("rep-1", "2026-Q1")] + totals[("rep-1", "2026-Q2")] == 130001
    assert (await plan_says(db))["rep-1"] == 130001


async def test_the_database_refuses_to_change_a_closed_period(db: AsyncEngine) -> None:
    await setup_world(db)
    await feed(db, "deals", [deal("D-1", "rep-1", "10000", "2026-02-10")])
    await recompute(db)
    await close(db, "2026-Q1")
    [statement] = await fetch(db, "SELECT id, total_minor FROM statements")
    refused = [
        "UPDATE earning_lines SET amount_minor = 1 WHERE period = '2026-Q1'",
        "DELETE FROM earning_lines WHERE period = '2026-Q1'",
        "DELETE FROM participant_results WHERE period = '2026-Q1'",
        "UPDATE participant_results SET total_minor = 0 WHERE period = '2026-Q1'",
        "INSERT INTO participant_results (participant_id, plan_key, period, plan_version_id,"
        " run_id, currency, total_minor, measures) SELECT participant_id, 'other', period,"
        " plan_version_id, run_id, currency, 5, measures FROM participant_results"
        " WHERE period = '2026-Q1'",
        "DELETE FROM credits WHERE period = '2026-Q1'",
        "UPDATE credits SET run_id = 0 WHERE period = '2026-Q1'",
        "UPDATE statement_lines SET amount_minor = 0",
        "DELETE FROM statement_lines",
        "DELETE FROM statements",
        "UPDATE statements SET total_minor = 1",
        "UPDATE statements SET period = '2026-Q2'",
        "UPDATE periods SET status = 'open' WHERE label = '2026-Q1'",
        "DELETE FROM periods WHERE label = '2026-Q1'",
    ]
    async with db.connect() as sa_conn:
        conn = await driver_of(sa_conn)
        for sql in refused:
            with pytest.raises(asyncpg.PostgresError) as refusal:
                await conn.execute(sql)
            assert refusal.value.sqlstate == SEALED, sql
        with pytest.raises(asyncpg.PostgresError, match="period 2026-Q1 is closed"):
            await conn.execute("DELETE FROM earning_lines WHERE period = '2026-Q1'")
        # The payout workflow may still move, with optimistic locking.
        moved = await conn.execute(
            "UPDATE statements SET status = 'submitted', version = version + 1"
            " WHERE id = $1 AND version = 1",
            statement["id"],
        )
        assert moved == "UPDATE 1"
        # An open period's results are still the runs' to replace.
        assert await conn.execute("DELETE FROM credits WHERE period = '2026-Q2'") == "DELETE 0"
    [after] = await fetch(db, "SELECT total_minor, status FROM statements")
    assert (after["total_minor"], after["status"]) == (statement["total_minor"], "submitted")
    assert [(c, a) for c, a, _ in await lines(db, "rep-1", "2026-Q1")] == [("commission", 100000)]


async def test_a_close_pays_the_manual_adjustments_made_to_land_in_the_period(
    db: AsyncEngine,
) -> None:
    await setup_world(db)
    await feed(db, "deals", [deal("D-1", "rep-1", "10000", "2026-02-10")])
    await recompute(db)
    # Accepted disputes: 12.34 more for rep-1; 5.00 back from rep-2, who earned nothing.
    async with driver_transaction(db) as conn:
        await conn.execute(
            "INSERT INTO manual_adjustments (participant_id, period, amount_minor, currency,"
            " reason) SELECT id, '2026-Q1', amount, 'USD', reason FROM participants"
            " JOIN (VALUES ('rep-1', 1234, 'Missed split'), ('rep-2', -500, 'Overpaid'))"
            " AS m(who, amount, reason) ON external_id = m.who"
        )
    await close(db, "2026-Q1")
    assert await statement_lines(db, "rep-1", "2026-Q1") == [
        ("earning", "commission", 100000),
        ("adjustment", "manual", 1234),
    ]
    assert await statement_lines(db, "rep-2", "2026-Q1") == [("adjustment", "manual", -500)]
    traces = await fetch(
        db, "SELECT trace FROM statement_lines WHERE component = 'manual' ORDER BY amount_minor"
    )
    # Traced as manual adjustments with their reasons (these settle no dispute).
    notes = [
        t.note
        for t in map(line_trace, (r["trace"] for r in traces))
        if isinstance(t, ManualAdjustmentTrace) and t.dispute is None
    ]
    assert notes == ["Overpaid", "Missed split"]
    assert await statement_totals(db) == {("rep-1", "2026-Q1"): 101234, ("rep-2", "2026-Q1"): -500}
    taken = await fetch(
        db,
        "SELECT count(*) AS n FROM manual_adjustments m JOIN statements s"
        " ON s.id = m.statement_id AND s.participant_id = m.participant_id",
    )
    assert taken[0]["n"] == 2


async def test_periods_close_once_and_in_order(db: AsyncEngine) -> None:
    await setup_world(db)
    with pytest.raises(CloseRefused, match="2026-Q1 is not closed yet"):
        await close(db, "2026-Q2")
    await close(db, "2026-Q1")
    with pytest.raises(CloseRefused, match="already closed"):
        await close(db, "2026-Q1")
    runs = await fetch(db, "SELECT count(*) AS n FROM calc_runs WHERE trigger = 'close'")
    assert runs[0]["n"] == 1
    [entry] = await fetch(db, "SELECT entity_key, after FROM audit_log WHERE action = 'close'")
    assert entry["entity_key"] == "2026-Q1" and entry["after"]["status"] == "closed"


async def test_of_several_closers_at_once_exactly_one_closes(
    db: AsyncEngine, database_url: str
) -> None:
    await setup_world(db)
    await feed(db, "deals", [deal("D-1", "rep-1", "10000", "2026-02-10")])
    engines = [make_engine(database_url, pool_size=2) for _ in range(3)]
    try:
        outcomes = await asyncio.gather(
            *(close_period(e, "2026-Q1", CLI_ACTOR) for e in engines), return_exceptions=True
        )
    finally:
        await asyncio.gather(*(e.dispose() for e in engines))
    assert sum(not isinstance(o, BaseException) for o in outcomes) == 1
    assert all(isinstance(o, CloseRefused) for o in outcomes if isinstance(o, BaseException))
    runs = await fetch(db, "SELECT count(*) AS n FROM calc_runs WHERE trigger = 'close'")
    assert runs[0]["n"] == 1
    assert await statement_totals(db) == {("rep-1", "2026-Q1"): 100000}


async def test_a_clawback_after_close_lands_in_the_open_period(db: AsyncEngine) -> None:
    await setup_world(db)
    await feed(
        db,
        "deals",
        [
            deal("D-1", "rep-1", "10000", "2026-02-10"),
            deal("D-2", "rep-2", "4000", "2026-01-10"),
        ],
    )
    await recompute(db)
    await close(db, "2026-Q1")
    # D-1 is cancelled in April (within 90 days); D-2's cancellation, dated March, is late.
    await feed(
        db,
        "deals",
        [
            deal(
                "D-1", "rep-1", "10000", "2026-02-10", status="cancelled", cancel_date="2026-04-20"
            ),
            deal(
                "D-2", "rep-2", "4000", "2026-01-10", status="cancelled", cancel_date="2026-03-01"
            ),
        ],
    )
    await recompute(db)
    assert [(c, a) for c, a, _ in await lines(db, "rep-1", "2026-Q1")] == [("commission", 100000)]
    await close(db, "2026-Q2")
    # The clawback of a cancellation in the open period is the plan's own line there.
    assert await statement_lines(db, "rep-1", "2026-Q2") == [("clawback", "clawback", -100000)]
    # A cancellation dated in the closed quarter is taken back as an adjustment for it.
    rep2 = await statement_lines(db, "rep-2", "2026-Q2")
    assert {kind for kind, _, _ in rep2} == {"adjustment"}
    assert sum(amount for _, _, amount in rep2) == -40000
    [(_, _, trace), *_] = await lines(db, "rep-2", "2026-Q2")
    assert trace["adjusts"] == "2026-Q1"
    totals = await statement_totals(db)
    assert totals[("rep-1", "2026-Q1")] + totals[("rep-1", "2026-Q2")] == 0
    assert totals[("rep-2", "2026-Q1")] + totals[("rep-2", "2026-Q2")] == 0
    assert await plan_says(db) == {"rep-1": 0, "rep-2": 0}


async def test_a_recoverable_draw_across_three_periods(db: AsyncEngine) -> None:
    await setup_world(db, PLAN + DRAW)
    await feed(
        db,
        "deals",
        [deal("D-1", "rep-1", "3000", "2026-02-01"), deal("D-2", "rep-1", "5000", "2026-05-01")],
    )
    await recompute(db)
    await close(db, "2026-Q1")
    await close(db, "2026-Q2")
    # Q1 earned 300 and Q2 500: the draw topped each up to 1,000 (700 + 500 owed back).
    assert await statement_lines(db, "rep-1", "2026-Q1") == [
        ("earning", "commission", 30000),
        ("draw", "draw", 70000),
    ]
    assert await statement_lines(db, "rep-1", "2026-Q2") == [
        ("earning", "commission", 50000),
        ("draw", "draw", 50000),
    ]
    # A 2,000 deal dated January arrives late, then a big Q3.
    await feed(
        db,
        "deals",
        [deal("D-3", "rep-1", "2000", "2026-01-15"), deal("D-4", "rep-1", "50000", "2026-08-01")],
    )
    await recompute(db)
    await close(db, "2026-Q3")
    # Q1 now earns 500 and needs a draw of only 500: +200 commission, -200 draw, and 1,000
    # (not 1,200) is left to recover from Q3's 5,000.
    assert await statement_lines(db, "rep-1", "2026-Q3") == [
        ("earning", "commission", 500000),
        ("recovery", "draw_recovery", -100000),
        ("adjustment", "commission", 20000),
        ("adjustment", "draw", -20000),
    ]
    totals = await statement_totals(db)
    paid = sum(totals[("rep-1", q)] for q in ("2026-Q1", "2026-Q2", "2026-Q3"))
    assert paid == 100000 + 100000 + 400000
    # Everything owed back is recovered: the statements add up to the commission earned.
    assert paid == 30000 + 20000 + 50000 + 500000
    assert (await plan_says(db, ["2026-Q1", "2026-Q2", "2026-Q3"]))["rep-1"] == paid


async def test_statement_history_adds_up_across_a_year_with_late_changes(
    db: AsyncEngine,
) -> None:
    await setup_world(db)
    split = [{"participant": "rep-1", "percent": 60}, {"participant": "rep-2", "percent": 40}]
    swapped = [{"participant": "rep-1", "percent": 40}, {"participant": "rep-2", "percent": 60}]
    await feed(
        db,
        "deals",
        [
            deal("A", "rep-1", "12345.67", "2026-01-20"),
            deal("B", "rep-2", "999.99", "2026-03-31"),
            deal("C", "rep-1", "5000", "2026-02-14", splits=split),
        ],
    )
    await recompute(db)
    await close(db, "2026-Q1")
    # Q2: a late January deal, A's amount corrected, a Q2 deal.
    await feed(
        db,
        "deals",
        [
            deal("D", "rep-2", "777.77", "2026-01-31"),
            deal("A", "rep-1", "11345.67", "2026-01-20"),
            deal("E", "rep-1", "2000", "2026-06-30"),
        ],
    )
    await recompute(db)
    await close(db, "2026-Q2")
    # Q3: C's split changes after the fact, E is cancelled (in the window), a Q3 deal.
    await feed(
        db,
        "deals",
        [
            deal("C", "rep-1", "5000", "2026-02-14", splits=swapped),
            deal("E", "rep-1", "2000", "2026-06-30", status="cancelled", cancel_date="2026-07-15"),
            deal("F", "rep-2", "3333.33", "2026-09-09"),
        ],
    )
    await recompute(db)
    await close(db, "2026-Q3")
    # Q4: a late edit of F, a Q4 deal; then the year's last quarter closes.
    await feed(
        db,
        "deals",
        [deal("F", "rep-2", "3000", "2026-09-09"), deal("G", "rep-1", "100", "2026-12-31")],
    )
    await recompute(db)
    await close(db, "2026-Q4")

    totals = await statement_totals(db)
    paid: dict[str, int] = {}
    for (who, _), total in totals.items():
        paid[who] = paid.get(who, 0) + total
    assert paid == await plan_says(db)
    # By hand, with the data as it finally stands, rounded per quarter (half up):
    # rep-1: Q1 10% of (A 11,345.67 + 40% of C 5,000) = 1,334.567 -> 1,334.57; Q2 200.00
    # for E, taken back in Q3 by the clawback; Q4 10.00 for G.
    # rep-2: Q1 10% of (B 999.99 + D 777.77 + 60% of C) = 477.776 -> 477.78; Q3 300.00 (F).
    assert paid == {"rep-1": 133457 + 20000 - 20000 + 1000, "rep-2": 47778 + 30000}
    # Closed quarters kept what they paid; the changes arrived as adjustments.
    assert totals[("rep-1", "2026-Q1")] == 153457  # 10% of (12,345.67 + 60% of 5,000)
    kinds = await fetch(db, "SELECT DISTINCT kind FROM statement_lines ORDER BY kind")
    assert [k["kind"] for k in kinds] == ["adjustment", "clawback", "earning"]


async def test_periods_close_from_the_cli(
    db: AsyncEngine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("INCENTIVES_DATABASE_URL", database_url)
    await setup_world(db)
    await feed(db, "deals", [deal("D-1", "rep-1", "10000", "2026-02-10")])
    # The CLI runs its own event loop, so it runs in a thread here.
    assert await asyncio.to_thread(main, ["periods", "close", "2026-Q1"]) == 0
    out = capsys.readouterr().out
    assert "2026-Q1 closed" in out and "1 statements, 1000.00 USD" in out
    assert await asyncio.to_thread(main, ["periods", "close", "2026-Q1"]) == 1
    assert "error: 2026-Q1 is already closed" in capsys.readouterr().err
    [entry] = await fetch(db, "SELECT channel, actor FROM audit_log WHERE action = 'close'")
    assert tuple(entry) == ("cli", "cli")
