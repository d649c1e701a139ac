"""(a) A full run over the four quarters beside the SQL baseline, and their comparison."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from typing import Any

import asyncpg

from bench.calc import baseline
from bench.calc.data import PLAN_KEY, QUARTERS, YEAR
from bench.ingest.run import _env, run_child


def full_run(url: str) -> dict[str, Any]:
    """``calculate(period="2026")`` in a child process (bench.calc.fullrun); its figures."""
    child = run_child([sys.executable, "-m", "bench.calc.fullrun", url], _env(url))
    if child.returncode != 0:
        raise SystemExit(f"the full run failed ({child.returncode}):\n{child.stderr}")
    figures: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    figures["child_peak_rss_mib"] = round(child.peak_rss_mib)
    if figures["run"]["status"] != "succeeded":
        raise SystemExit(f"the full run did not succeed: {figures['run']}")
    return figures


async def baseline_run(conn: asyncpg.Connection) -> dict[str, Any]:
    """The SQL baseline, timed from its run record to its commit."""
    version_id = await conn.fetchval("SELECT max(id) FROM plan_versions WHERE key = $1", PLAN_KEY)
    started = time.perf_counter()
    async with conn.transaction():
        run_id = await conn.fetchval(
            "INSERT INTO calc_runs (trigger, requested_by, scope) VALUES ('cli',"
            " 'bench-baseline', '{\"period\": \"2026\"}') RETURNING id"
        )
        written = await baseline.compute(
            conn,
            plan_key=PLAN_KEY,
            plan_version_id=version_id,
            run_id=run_id,
            first=dt.date(YEAR, 1, 1),
            last=dt.date(YEAR, 12, 31),
            periods=list(QUARTERS),
        )
        await conn.execute(
            "UPDATE calc_runs SET status = 'succeeded', finished_at = now(), counts = $2::jsonb"
            " WHERE id = $1",
            run_id,
            json.dumps(written),
        )
    return {"seconds": round(time.perf_counter() - started, 2), "written": written}


_RESULTS = """
SELECT count(*) FILTER (WHERE r.participant_id IS NULL) AS only_baseline,
       count(*) FILTER (WHERE b.participant_id IS NULL) AS only_run,
       count(*) FILTER (WHERE r.total_minor <> b.total_minor) AS total_differs,
       count(*) FILTER (WHERE (r.measures->0->>'value')::numeric
                              <> (b.measures->0->>'value')::numeric
                           OR (r.measures->0->>'quota')::numeric
                              <> (b.measures->0->>'quota')::numeric) AS measure_differs,
       count(*) AS compared,
       coalesce(sum(r.total_minor), 0) AS run_total,
       coalesce(sum(b.total_minor), 0) AS baseline_total
FROM (SELECT * FROM participant_results WHERE plan_key = $1) r
FULL JOIN (SELECT * FROM bench_participant_results WHERE plan_key = $1) b
    ON b.participant_id = r.participant_id AND b.period = r.period
"""

_RESULT_EXAMPLES = """
SELECT coalesce(r.participant_id, b.participant_id) AS participant_id,
       coalesce(r.period, b.period) AS period, r.total_minor AS run, b.total_minor AS baseline
FROM (SELECT * FROM participant_results WHERE plan_key = $1) r
FULL JOIN (SELECT * FROM bench_participant_results WHERE plan_key = $1) b
    ON b.participant_id = r.participant_id AND b.period = r.period
WHERE r.total_minor IS DISTINCT FROM b.total_minor
ORDER BY 1, 2 LIMIT 5
"""

_LINES = """
SELECT count(*) FILTER (WHERE r.participant_id IS NULL) AS only_baseline,
       count(*) FILTER (WHERE b.participant_id IS NULL) AS only_run,
       count(*) FILTER (WHERE r.amount_minor <> b.amount_minor
                           OR r.component <> b.component) AS differs,
       count(*) AS compared
FROM (SELECT * FROM earning_lines WHERE plan_key = $1) r
FULL JOIN (SELECT * FROM bench_earning_lines WHERE plan_key = $1) b
    ON b.participant_id = r.participant_id AND b.period = r.period AND b.line_no = r.line_no
"""

# Credits compared one by one (a credit set's order is free), as share and payout integers.
_CREDIT_ROWS = """
SELECT c.participant_id, c.period, u.*
FROM {table} c, unnest(c.deal_ids, c.sources, c.via_ids, c.shares, c.payout_minor)
    AS u(deal_id, source, via_id, share, payout_minor)
WHERE c.plan_key = $1
"""

_CREDITS = f"""
SELECT count(*) FILTER (WHERE r.participant_id IS NULL) AS only_baseline,
       count(*) FILTER (WHERE b.participant_id IS NULL) AS only_run,
       count(*) FILTER (WHERE r.share <> b.share OR r.payout_minor <> b.payout_minor) AS differs,
       count(*) AS compared
FROM ({_CREDIT_ROWS.format(table="credits")}) r
FULL JOIN ({_CREDIT_ROWS.format(table="bench_credits")}) b
    ON b.participant_id = r.participant_id AND b.period = r.period
    AND b.deal_id = r.deal_id AND b.source = r.source AND b.via_id = r.via_id
"""


async def compare(conn: asyncpg.Connection) -> dict[str, Any]:
    """Row-by-row comparison of the run's results with the baseline's; raises on a difference."""
    await conn.execute("SET work_mem = '256MB'")
    results = dict(await conn.fetchrow(_RESULTS, PLAN_KEY) or {})
    lines = dict(await conn.fetchrow(_LINES, PLAN_KEY) or {})
    credits = dict(await conn.fetchrow(_CREDITS, PLAN_KEY) or {})
    await conn.execute("RESET work_mem")
    found = {"results": results, "lines": lines, "credits": credits}
    bad = {
        f"{table}.{key}": value
        for table, counts in found.items()
        for key, value in counts.items()
        if key not in ("compared", "run_total", "baseline_total") and value
    }
    if bad or results["compared"] == 0:
        examples = [dict(r) for r in await conn.fetch(_RESULT_EXAMPLES, PLAN_KEY)]
        raise SystemExit(
            f"the run and the SQL baseline disagree: {bad}\ncounts: {found}\n"
            f"first differing participant-quarters: {examples}"
        )
    return {k: {n: int(v) for n, v in counts.items()} for k, counts in found.items()}
