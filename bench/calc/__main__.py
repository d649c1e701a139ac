"""Calculation-run benchmark on PostgreSQL.

    python -m bench.calc                          # 10,000 participants, 5,000,000 deals
    python -m bench.calc --deals 20000 --participants 1000 --ingests 50 --requests 2000

On a database of its own (``incentives_bench_<random>`` on the server of
INCENTIVES_DATABASE_URL, dropped afterwards):

(a) a full run over the four quarters of 2026 (``calculate(period="2026")`` in a child
    process) beside a hand-written set-based SQL baseline computing and writing the same
    results; the two are compared row by row and must agree to the cent;
(b) single-deal ingests through ``POST /api/v1/ingest/deals`` on a served app, timed from
    the response (the commit) until the owner's result for the quarter comes from a new
    run (polled with SQL);
(c) ``GET /api/v1/me/earnings`` from concurrent clients on loopback.

Results are printed and kept in bench/out/calc-results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

import asyncpg

from bench.calc import baseline, full, profile, served
from bench.calc.data import populate
from bench.engine.generate import OUT
from bench.ingest.run import _dsn, fresh_database, machine
from incentives.db import migrate
from incentives.db.connection import make_engine


def _spread(values: list[float]) -> str:
    return f"{min(values):.1f}-{max(values):.1f}" if len(values) > 1 else f"{values[0]:.1f}"


async def part_a(url: str, repeat: int) -> dict[str, Any]:
    """Full runs and baselines, alternating; then the row-by-row comparison."""
    runs: list[dict[str, Any]] = []
    baselines: list[dict[str, Any]] = []
    conn = await asyncpg.connect(_dsn(url))
    try:
        await baseline.create_tables(conn)
        for attempt in range(repeat):
            runs.append(full.full_run(url))
            print(f"  full run {attempt + 1}: {runs[-1]['seconds']} s, phases"
                  f" {runs[-1]['phases_s']}, peak RSS {runs[-1]['peak_rss_mib']} MiB,"
                  f" {runs[-1]['run']['counts']}", flush=True)  # fmt: skip
            baselines.append(await full.baseline_run(conn))
            print(f"  SQL baseline {attempt + 1}: {baselines[-1]['seconds']} s,"
                  f" {baselines[-1]['written']}", flush=True)  # fmt: skip
        comparison = await full.compare(conn)
    finally:
        await conn.close()
    run_s = [r["seconds"] for r in runs]
    base_s = [b["seconds"] for b in baselines]
    return {
        "run_s": run_s,
        "baseline_s": base_s,
        "run_best_s": min(run_s),
        "baseline_best_s": min(base_s),
        "ratio_best": round(min(run_s) / min(base_s), 2),
        "ratios": [round(r / b, 2) for r, b in zip(run_s, base_s, strict=True)],
        "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
        "runs": runs,
        "baselines": baselines,
        "comparison": comparison,
    }


async def served_parts(url: str, parts: set[str], args: argparse.Namespace) -> dict[str, Any]:
    """(c) reads, then (b) incremental recomputes, on one served app."""
    out: dict[str, Any] = {}
    with served.served(url, args.workers) as (port, server):
        if "c" in parts:
            out["reads"] = await served.reads(url, port, args.clients, args.requests, args.reps)
            print(f"(c) {out['reads']}", flush=True)
        if "b" in parts:
            out["incremental"] = await served.incremental(url, port, args.ingests)
            print(f"(b) {out['incremental']}", flush=True)
    if "b" in parts and args.profile:
        out["incremental_profile"] = await profile.profile(url, args.profile, args.participants)
        print(f"(b) profile: {out['incremental_profile']}", flush=True)
    assert server.finished is not None
    out["server_peak_rss_mib"] = round(server.finished.peak_rss_mib)
    return out


async def main() -> None:
    """Set up the database, run the parts asked for, report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deals", type=int, default=5_000_000)
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="full runs and baselines")
    parser.add_argument("--ingests", type=int, default=1_000, help="(b) single-deal ingests")
    parser.add_argument("--profile", type=int, default=50, help="(b) in-process profiled ingests")
    parser.add_argument("--requests", type=int, default=20_000, help="(c) GETs")
    parser.add_argument("--clients", type=int, default=50, help="(c) concurrent connections")
    parser.add_argument("--reps", type=int, default=20, help="(c) reps whose tokens are used")
    parser.add_argument("--workers", type=int, default=1, help="(b), (c): API processes")
    parser.add_argument("--only", choices=["a", "b", "c"], action="append")
    args = parser.parse_args()
    parts = set(args.only or ["a", "b", "c"])

    report: dict[str, Any] = {"machine": machine()}
    started = time.perf_counter()
    async with fresh_database() as url:
        engine = make_engine(url)
        try:
            await migrate.upgrade(engine)
            report["data"] = await populate(engine, args.deals, args.participants)
        finally:
            await engine.dispose()
        print(f"data: {report['data']}", flush=True)
        if "a" in parts:
            report["full"] = await part_a(url, args.repeat)
            a = report["full"]
            print(f"(a) run {_spread(a['run_s'])} s, baseline {_spread(a['baseline_s'])} s,"
                  f" ratio {a['ratio_best']} (best of each), peak RSS {a['peak_rss_mib']} MiB,"
                  f" comparison {a['comparison']}", flush=True)  # fmt: skip
        else:
            full.full_run(url)  # results for the served parts to read and change
        if parts & {"b", "c"}:
            report["served"] = await served_parts(url, parts, args)
    report["command_s"] = round(time.perf_counter() - started, 1)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "calc-results.json").write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())
