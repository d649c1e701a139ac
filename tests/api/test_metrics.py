"""GET /metrics: readable by admins and integrations only, and counting what happened."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api.app import create_app
from incentives.api.fast_reads import fast_route
from incentives.scheduler import Every, Job, Scheduler
from tests.api.conftest import Client, Headers, post_deal


async def scrape(
    client: Client, headers: dict[str, str]
) -> dict[tuple[str, frozenset[Any]], float]:
    """Every sample /metrics answers, by name and labels."""
    answer = await client.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def total(samples: dict[tuple[str, frozenset[Any]], float], name: str, **labels: str) -> float:
    """The sum of ``name``'s samples having these labels (and any others)."""
    wanted = set(labels.items())
    return sum(v for (n, have), v in samples.items() if n == name and wanted <= have)


async def test_metrics_need_a_token_and_the_admin_or_integration_role(
    client: Client, auth: Headers
) -> None:
    missing = await client.get("/metrics")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    for role in ("rep", "manager", "finance"):
        refused = await client.get("/metrics", headers=auth[role])
        assert refused.status_code == 403, role
        assert refused.json()["title"].startswith("This needs the role admin or integration")
    for role in ("admin", "integration"):
        answer = await client.get("/metrics", headers=auth[role])
        assert answer.status_code == 200, role
        assert answer.headers["content-type"].startswith("text/plain; version=")
        assert "# TYPE incentives_http_requests_total counter" in answer.text
        assert "process_resident_memory_bytes" in answer.text


async def test_a_request_counts_once_under_its_route_template_and_status(
    client: Client, auth: Headers
) -> None:
    route = {"route": "/api/v1/statements/{statement}", "method": "GET"}
    before = await scrape(client, auth["admin"])
    missing = await client.get("/api/v1/statements/999999", headers=auth["finance"])
    assert missing.status_code == 404
    assert (await client.get("/api/v1/me", headers=auth["rep"])).status_code == 200
    assert (await client.get("/no/such/page", headers=auth["rep"])).status_code == 404
    after = await scrape(client, auth["admin"])

    def grew(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    assert grew("incentives_http_requests_total", **route, status="404") == 1
    assert grew("incentives_http_requests_total", **route) == 1
    assert grew("incentives_http_request_duration_seconds_count", **route) == 1
    assert grew("incentives_http_requests_total", route="/api/v1/me", status="200") == 1
    assert grew("incentives_http_requests_total", route="unmatched", status="404") == 1
    # The raw path is never a label: one series per route, however many statements.
    assert not any("999999" in str(labels) for _, labels in after)


async def test_pages_of_the_fast_path_count_under_the_apps_own_templates(
    db: AsyncEngine,
) -> None:
    templates = {route.path_format for route in create_app(db).routes}
    for path in ("/api/v1/me/attainment", "/api/v1/me/earnings", "/api/v1/contests/q1/leaderboard"):
        assert fast_route(path) in templates, path


async def test_ingested_deals_are_counted_by_kind(client: Client, auth: Headers) -> None:
    before = await scrape(client, auth["integration"])
    for n in range(3):
        await post_deal(client, auth["integration"], f"M-{n}", "rep-1", "100", "2026-02-01")
    # The same deal again: unchanged, and still an item ingested.
    await post_deal(client, auth["integration"], "M-0", "rep-1", "100", "2026-02-01")
    after = await scrape(client, auth["integration"])
    deals = "incentives_ingest_rows_total"
    assert total(after, deals, kind="deals") - total(before, deals, kind="deals") == 4
    created = total(after, deals, kind="deals", outcome="created")
    assert created - total(before, deals, kind="deals", outcome="created") == 3
    unchanged = total(after, deals, kind="deals", outcome="unchanged")
    assert unchanged - total(before, deals, kind="deals", outcome="unchanged") == 1


async def test_a_calc_run_is_counted_and_timed(client: Client, world: Headers) -> None:
    labels = {"trigger": "api"}
    before = await scrape(client, world["admin"])
    run = await client.post(
        "/api/v1/calc-runs", json={"period": "2026-Q1"}, headers=world["finance"]
    )
    assert run.status_code == 201, run.text
    after = await scrape(client, world["admin"])
    runs = "incentives_calc_runs_total"
    succeeded = total(after, runs, outcome="succeeded", **labels)
    assert succeeded - total(before, runs, outcome="succeeded", **labels) == 1
    timed = "incentives_calc_run_duration_seconds_count"
    assert total(after, timed, **labels) - total(before, timed, **labels) == 1


@pytest.mark.parametrize("fails", [False, True])
async def test_scheduled_jobs_count_their_runs_and_skipped_slots(
    db: AsyncEngine, client: Client, auth: Headers, fails: bool
) -> None:
    async def work(_: AsyncEngine, __: Any) -> dict[str, Any]:
        if fails:
            raise RuntimeError("the job failed")
        return {}

    name = f"metrics-test-{fails}"
    clock = lambda: dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)  # noqa: E731
    scheduler = Scheduler(db, [Job(name, Every(60), work)], clock=clock)
    before = await scrape(client, auth["admin"])
    assert await scheduler.fire(scheduler.jobs[0])
    if not fails:  # the slot is done: firing again skips it (a failed slot is retried)
        assert not await scheduler.fire(scheduler.jobs[0])
    after = await scrape(client, auth["admin"])
    jobs = "incentives_scheduler_job_runs_total"
    outcome = "failed" if fails else "succeeded"
    assert (
        total(after, jobs, job=name, outcome=outcome)
        - total(before, jobs, job=name, outcome=outcome)
        == 1
    )
    skipped = total(after, jobs, job=name, outcome="skipped")
    assert skipped - total(before, jobs, job=name, outcome="skipped") == (0 if fails else 1)
