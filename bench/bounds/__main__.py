"""Bounds benchmark: the CPU time each hostile request of the robustness table costs.

    python -m bench.bounds                         # every case of tests/api/hostile.py
    python -m bench.bounds --match estimate        # the cases whose name holds the text
    python -m bench.bounds --before                # one 1E+400000 estimate, for code
                                                   # without bounds (PYTHONPATH=<main>/src)

On a database of its own (``incentives_bench_<random>`` on the server of
INCENTIVES_DATABASE_URL, dropped afterwards) holding its own data: 200 reps on a 10%
plan with 20 deals each over 2026, computed. The app is served in this process (httpx's
ASGI transport), so ``time.process_time`` around a request is the CPU the API spends on
it (PostgreSQL's own work, in its server process, is not counted). Each case is sent
three times and its largest figure kept. Results are printed and kept in
bench/out/bounds-results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import httpx
from tests.api.hostile import PLAN, Case, cases

from bench.engine.generate import OUT
from bench.ingest.run import fresh_database, machine
from incentives.api.app import serving_app
from incentives.audit.log import CLI_ACTOR
from incentives.auth import principals
from incentives.db import migrate
from incentives.db.connection import driver_transaction, make_engine
from incentives.ingest.service import ingest
from incentives.periods.store import generate as generate_year

REPS, DEALS_EACH, REPEATS = 200, 20, 3
ROLES = ("rep", "manager", "finance", "integration")


def _world() -> dict[str, list[dict[str, Any]]]:
    reps = [f"rep-{n}" for n in range(1, REPS + 1)]
    return {
        "participants": [
            {"external_id": p, "name": p.upper(), "currency": "USD", "start_date": "2025-01-01"}
            for p in [*reps, "mgr-1"]
        ],
        "assignments": [
            {"participant": p, "manager": "mgr-1", "team": "east", "valid_from": "2025-01-01"}
            for p in reps
        ],
        "plan_assignments": [
            {"plan": "hostile", "participant": p, "valid_from": "2026-01-01", "currency": "USD"}
            for p in reps
        ],
        "deals": [
            {
                "external_id": f"D-{r}-{d}",
                "owner": rep,
                "amount": f"{1000 + 37 * d}.00",
                "currency": "USD",
                "close_date": f"2026-{1 + d % 12:02d}-{1 + d % 28:02d}",
                "status": "won",
            }
            for r, rep in enumerate(reps)
            for d in range(DEALS_EACH)
        ],
    }


@asynccontextmanager
async def served(url: str) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, dict[str, str]]]]:
    """The app on a loaded database, and a token per role."""
    engine = make_engine(url)
    try:
        await migrate.upgrade(engine)
        async with driver_transaction(engine) as conn:
            await generate_year(conn, 2026, 1, CLI_ACTOR)
            for kind, items in _world().items():
                await ingest(conn, kind, items, CLI_ACTOR)
            headers = {}
            for role in ROLES:
                who = {"rep": "rep-1", "manager": "mgr-1"}.get(role)
                _, token = await principals.create(
                    conn, name=f"bench {role}", role=role, participant=who, actor=CLI_ACTOR
                )
                headers[role] = {"Authorization": f"Bearer {token}"}
        transport = httpx.ASGITransport(app=cast(Any, serving_app(engine)))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            published = await client.post(
                "/api/v1/plans", json={"source": PLAN}, headers=headers["finance"]
            )
            assert published.status_code == 201, published.text
            run = await client.post(
                "/api/v1/calc-runs", json={"period": "2026-Q1"}, headers=headers["finance"]
            )
            assert run.status_code == 201, run.text
            yield client, headers
    finally:
        await engine.dispose()


async def _cost(
    client: httpx.AsyncClient, case: Case, headers: dict[str, str]
) -> tuple[int, float]:
    started = time.process_time()
    answer = await client.request(
        case.method, case.path, json=case.body, content=case.content, headers=headers
    )
    return answer.status_code, time.process_time() - started


BEFORE = Case(
    "estimate one deal of 1E+400000",
    "POST",
    "/api/v1/me/estimate",
    "rep",
    (400, "deals[0].amount"),
    {"deals": [{"amount": "1E+400000", "close_date": "2026-02-01"}]},
)
LARGEST = Case(
    "estimate 100 deals of the largest amount (accepted)",
    "POST",
    "/api/v1/me/estimate",
    "rep",
    (200, ""),
    {"deals": [{"amount": "999999999999.99", "close_date": "2026-02-01"}] * 100},
)


async def main(match: str | None, before: bool) -> None:
    """Measure, print and keep the figures."""
    table = [BEFORE] if before else [c for c in [*cases(), LARGEST] if not match or match in c.name]
    results: list[dict[str, Any]] = []
    async with fresh_database() as url, served(url) as (client, headers):
        for case in table:
            costs = [await _cost(client, case, headers[case.role]) for _ in range(REPEATS)]
            status = costs[0][0]
            worst = max(c for _, c in costs)
            results.append({"case": case.name, "status": status, "cpu_ms": round(worst * 1000, 2)})
    results.sort(key=lambda r: -r["cpu_ms"])
    for row in results[:15]:
        print(f"{row['cpu_ms']:>9.2f} ms  {row['status']}  {row['case']}")
    statuses = Counter(row["status"] for row in results)
    print(f"{len(results)} requests; by status {dict(sorted(statuses.items()))}")
    OUT.mkdir(parents=True, exist_ok=True)
    kept = {"machine": machine(), "before": before, "results": results}
    (OUT / "bounds-results.json").write_text(json.dumps(kept, indent=1))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--match", help="only the cases whose name holds this text")
    parser.add_argument("--before", action="store_true", help="only the 1E+400000 estimate")
    args = parser.parse_args()
    asyncio.run(main(args.match, args.before))
