"""The demo: laid around its day, its past played through the workflow, believable pay,
a replay that changes nothing, and tokens that survive a restart."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.demo.commands import DemoMismatch, load
from incentives.demo.dataset import LEAVER, NEW_HIRE, PROMOTED, build
from incentives.demo.timeline import Timeline
from tests.http import api_client

EARLY = dt.date(2027, 2, 10)  # the second month of a fiscal year
LATE = dt.date(2026, 11, 23)  # its last quarter


def test_the_data_set_is_deterministic_and_lives_around_its_day() -> None:
    data = build(LATE)
    assert data == build(LATE) and data != build(EARLY)
    assert len(data.reps) == 50 and len(data.managers) == 5
    timeline = Timeline(LATE)
    closes = [dt.date.fromisoformat(d["close_date"]) for d in data.deals]
    assert min(closes) >= timeline.start
    assert all(
        dt.date.fromisoformat(d["close_date"]) <= LATE
        for d in data.deals
        if d["status"] in ("won", "lost", "cancelled")
    )
    assert any(d["status"] == "open" and d["close_date"] > LATE.isoformat() for d in data.deals)
    assert sum("splits" in d for d in data.deals) > 50
    cancelled = [d for d in data.deals if d["status"] == "cancelled"]
    assert len(cancelled) > 10 and all(d["cancel_date"] <= LATE.isoformat() for d in cancelled)
    people = {p["external_id"]: p for p in data.participants}
    leaves = people[LEAVER]["end_date"]
    assert all(d["close_date"] <= leaves for d in data.deals if d["owner"] == LEAVER)
    assert people[NEW_HIRE]["start_date"] > timeline.start.isoformat()
    plans = [
        (a["plan"], a["valid_from"]) for a in data.plan_assignments if a["participant"] == PROMOTED
    ]
    assert [plan for plan, _ in sorted(plans, key=lambda p: p[1])] == ["sdr", "account-executive"]


async def _rows(db: AsyncEngine, sql: str) -> list[Any]:
    async with db.connect() as conn:
        return [tuple(r) for r in await conn.execute(text(sql))]


async def _state(db: AsyncEngine) -> list[Any]:
    """Everything a replay must leave as it was."""
    counts = await _rows(
        db,
        "SELECT (SELECT count(*) FROM participants), (SELECT count(*) FROM deals),"
        " (SELECT count(*) FROM deal_history), (SELECT count(*) FROM activities),"
        " (SELECT count(*) FROM plan_versions), (SELECT count(*) FROM disputes),"
        " (SELECT count(*) FROM awards), (SELECT count(*) FROM principals)",
    )
    statements = await _rows(
        db,
        "SELECT period, participant_id, status, version, total_minor FROM statements ORDER BY 1, 2",
    )
    periods = await _rows(db, "SELECT label, status FROM periods ORDER BY 1")
    return [counts, statements, periods]


@pytest.mark.parametrize("today", [EARLY, LATE], ids=["early", "late"])
async def test_the_demo_has_a_past_a_present_and_a_future(
    db: AsyncEngine, tmp_path: Path, today: dt.date
) -> None:
    timeline = Timeline(today)
    kept = tmp_path / "tokens.json"
    first = await load(db, today, tokens_at=kept)
    state = await _state(db)
    again = await load(db, today, tokens_at=kept)
    assert await _state(db) == state
    assert again.tokens == first.tokens and not again.renewed
    assert kept.stat().st_mode & 0o777 == 0o600

    finance = {"Authorization": f"Bearer {first.tokens['finance']}"}
    rep = {"Authorization": f"Bearer {first.tokens['rep']}"}
    async with api_client(db) as client:
        periods = {
            p["label"]: p["status"]
            for p in (await client.get("/api/v1/periods", headers=rep)).json()
        }
        assert periods[timeline.current.label] == "open"
        assert periods[timeline.previous.label] == "closed"

        async def statuses(period: str) -> Counter[str]:
            answer = await client.get(
                f"/api/v1/statements?period={period}&limit=500", headers=finance
            )
            return Counter(s["status"] for s in answer.json())

        waiting = await statuses(timeline.previous.label)
        assert set(waiting) == {"submitted"} and waiting["submitted"] > 50
        for quarter in timeline.quarters[:-2]:
            assert set(await statuses(quarter.label)) == {"paid"}, quarter.label
        rejections = await client.get("/api/v1/audit?action=reject", headers=finance)
        assert len(rejections.json()["entries"]) == 1

        inquiries = (await client.get("/api/v1/disputes", headers=finance)).json()
        assert sorted(d["status"] for d in inquiries) == [
            "accepted",
            "answered",
            "declined",
            "open",
        ]
        accepted = next(d for d in inquiries if d["status"] == "accepted")
        assert accepted["adjustment"]["period"] == timeline.current.label

        games = {
            c["key"]: c["status"]
            for c in (await client.get("/api/v1/contests", headers=rep)).json()
        }
        assert sorted(games.values()) == ["awarded", "live", "live", "scheduled"]
        awarded = next(key for key, status in games.items() if status == "awarded")
        prizes = await _rows(
            db,
            "SELECT l.kind FROM statement_lines l JOIN statements s ON s.id = l.statement_id"
            f" WHERE s.period = '{timeline.previous.label}' AND l.name LIKE '% Sprint: %place'",
        )
        assert len(prizes) == 3, awarded

        mine = (await client.get("/api/v1/me/achievements", headers=rep)).json()
        assert mine["points"] > 0 and mine["level"] is not None and mine["badges"]
    streaks = await _rows(db, "SELECT count(*) FROM awards WHERE badge = 'on-a-roll'")
    badged = await _rows(
        db, "SELECT count(DISTINCT participant_id) FROM awards WHERE badge IS NOT NULL"
    )
    assert streaks[0][0] > 0 and badged[0][0] > 40
    draws = await _rows(db, "SELECT component FROM earning_lines WHERE component LIKE 'draw%'")
    assert {c for (c,) in draws} >= {"draw"}


def _quantile(values: list[Decimal], q: float) -> Decimal:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


async def test_demo_pay_is_what_a_plan_year_looks_like(db: AsyncEngine) -> None:
    loaded = await load(db, LATE)
    current = Timeline(LATE).current.label
    lines = await _rows(
        db,
        "SELECT e.period, e.amount_minor,"
        " coalesce(e.trace->>'before_cap', e.trace->>'unrounded')::numeric,"
        " (e.trace->>'unrounded')::numeric, (m->>'attainment')::numeric,"
        " (m->>'quota')::numeric, a.target_incentive_minor"
        " FROM earning_lines e JOIN participant_results r USING (participant_id, plan_key, period)"
        " CROSS JOIN jsonb_array_elements(r.measures) m"
        " JOIN plan_assignments a ON a.participant_id = e.participant_id"
        "  AND a.plan_key = e.plan_key"
        f" WHERE e.component = 'commission' AND m->>'key' = 'bookings' AND e.period <> '{current}'",
    )
    assert len(lines) > 250
    capped = [line for line in lines if line[2] > line[3]]
    assert len(capped) <= 0.2 * len(lines)
    attainment = [line[4] for line in lines]
    assert _quantile(attainment, 0.1) < Decimal("0.75") and _quantile(attainment, 0.9) > Decimal(
        "1.25"
    )
    assert min(attainment) < Decimal("0.45") and max(attainment) > Decimal("1.6")
    # Below the cap, a rep's commission per unit of quota rises with attainment.
    earned = sorted((line[4], line[1] / line[5]) for line in lines if line not in capped)
    assert all(b[1] >= a[1] - Decimal("0.0001") for a, b in pairwise(earned))
    # At quota a rep earns about a quarter of the annual target incentive.
    at_quota = [
        Decimal(line[1]) / (Decimal(line[6]) / 4)
        for line in lines
        if Decimal("0.97") <= line[4] <= Decimal("1.03")
    ]
    assert at_quota and all(Decimal("0.9") <= share <= Decimal("1.1") for share in at_quota)
    overlays = await _rows(
        db,
        "SELECT count(*), count(DISTINCT amount_minor) FROM earning_lines"
        f" WHERE component = 'overlay' AND period <> '{current}'",
    )
    assert overlays[0][0] >= 25 and overlays[0][1] == overlays[0][0]
    assert loaded.tokens


async def test_a_replaced_token_revokes_the_earlier_ones(db: AsyncEngine, tmp_path: Path) -> None:
    kept = tmp_path / "tokens.json"
    first = await load(db, LATE, tokens_at=kept)
    kept.write_text("not json")
    second = await load(db, LATE, tokens_at=kept)
    assert second.renewed == {"rep", "manager", "finance", "admin"}
    async with api_client(db) as client:
        for label in first.tokens:
            old = await client.get(
                "/api/v1/me", headers={"Authorization": f"Bearer {first.tokens[label]}"}
            )
            new = await client.get(
                "/api/v1/me", headers={"Authorization": f"Bearer {second.tokens[label]}"}
            )
            assert (old.status_code, new.status_code) == (401, 200), label


async def test_a_demo_of_another_day_is_refused(db: AsyncEngine) -> None:
    await load(db, LATE)
    with pytest.raises(DemoMismatch, match="built around 2026-11-23"):
        await load(db, LATE + dt.timedelta(days=1))
