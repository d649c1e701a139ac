"""The process's Prometheus metrics: what is measured, and the calls that measure it.

Everything is kept in this process's own registry (``REGISTRY``), never the library's
global one, so that ``GET /metrics`` shows what is defined here (and the process's CPU,
memory and garbage collection) and nothing a library registers by itself. Under several
server workers (``incentives serve --workers N``) each worker has its own registry and a
scrape reads whichever worker answers it: see docs/architecture.md, "Metrics".

Labels are bounded sets: an HTTP request is labelled with its route's template
(``/api/v1/statements/{statement}``), never its path, and requests no route matched share
the route ``unmatched``; runs, ingests and jobs with their trigger, kind and job names,
all written in the code.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import prometheus_client
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

# A counter's ``_created`` series doubles the series scraped and says only when the
# process started, which process_start_time_seconds says once.
prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]

REGISTRY = CollectorRegistry()
prometheus_client.ProcessCollector(registry=REGISTRY)
prometheus_client.PlatformCollector(registry=REGISTRY)
prometheus_client.GCCollector(registry=REGISTRY)

CONTENT_TYPE = CONTENT_TYPE_LATEST
UNMATCHED = "unmatched"

HTTP_REQUESTS = Counter(
    "incentives_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
# No status label: the latency of each route is what is read, and a label for each status
# would multiply the histogram's series (a dozen buckets each) by the statuses seen.
HTTP_LATENCY = Histogram(
    "incentives_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by method and route template.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
CALC_RUNS = Counter(
    "incentives_calc_runs",
    "Calculation runs finished, by trigger (api, ingest, schedule, close, cli) and outcome"
    " (succeeded, failed, busy: refused because another run held its scope).",
    ["trigger", "outcome"],
    registry=REGISTRY,
)
CALC_RUN_DURATION = Histogram(
    "incentives_calc_run_duration_seconds",
    "Wall time of calculation runs, waiting for locks included, by trigger.",
    ["trigger"],
    # From a rep's recompute after one deal (tens of ms) to a nightly year (minutes).
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
    registry=REGISTRY,
)
INGEST_ROWS = Counter(
    "incentives_ingest_rows",
    "Items of ingested batches, by kind and outcome (created, updated, unchanged); counted"
    " when the batch is applied, in its transaction.",
    ["kind", "outcome"],
    registry=REGISTRY,
)
JOB_RUNS = Counter(
    "incentives_scheduler_job_runs",
    "Scheduled job firings, by job and outcome (succeeded, failed, skipped: the slot was"
    " claimed already, by another replica or an earlier firing).",
    ["job", "outcome"],
    registry=REGISTRY,
)
JOB_DURATION = Histogram(
    "incentives_scheduler_job_duration_seconds",
    "Wall time of the scheduled jobs this process ran, by job.",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800),
    registry=REGISTRY,
)
PENDING_RECOMPUTE_AGE = Gauge(
    "incentives_pending_recompute_oldest_age_seconds",
    "Seconds since the oldest ingested change whose pay is not yet recomputed was made"
    " (0: none); read from the database at each scrape, so the same in every process.",
    registry=REGISTRY,
)
WEBHOOK_ATTEMPTS = Counter(
    "incentives_webhook_attempts",
    "Webhook delivery attempts this process made, by event type and outcome (delivered:"
    " a 2xx answer; refused: any other answer, or none).",
    ["event", "outcome"],
    registry=REGISTRY,
)
WEBHOOK_DURATION = Histogram(
    "incentives_webhook_attempt_duration_seconds",
    "Time from a webhook's request to its receiver's answer (or the error), by event type.",
    ["event"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)


def exposition() -> bytes:
    """Every metric of this process in the Prometheus text format (``CONTENT_TYPE``)."""
    return generate_latest(REGISTRY)


# Each (method, route, status)'s counter and histogram, looked up once: ``labels()``
# costs more than the counting itself, on a fast read's path of about 15 µs.
_HTTP_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def http_request(method: str, route: str | None, status: int, seconds: float) -> None:
    """Count an answered request; ``route``: its template, None when no route matched."""
    key = (method, route or UNMATCHED, status)
    series = _HTTP_SERIES.get(key)
    if series is None:
        series = _HTTP_SERIES[key] = (
            HTTP_REQUESTS.labels(key[0], key[1], str(status)),
            HTTP_LATENCY.labels(key[0], key[1]),
        )
    series[0].inc()
    series[1].observe(seconds)


@contextlib.contextmanager
def calc_run(trigger: str, busy: tuple[type[Exception], ...] = ()) -> Iterator[None]:
    """Time and count the run made in the block: succeeded unless it raises; ``busy``: the
    errors that mean another run held its scope."""
    started = time.perf_counter()
    outcome = "failed"
    try:
        yield
        outcome = "succeeded"
    except busy:
        outcome = "busy"
        raise
    finally:
        CALC_RUNS.labels(trigger, outcome).inc()
        CALC_RUN_DURATION.labels(trigger).observe(time.perf_counter() - started)


def ingested(kind: str, created: int, updated: int, unchanged: int) -> None:
    """Count the items of an applied batch of ``kind``."""
    for outcome, count in (("created", created), ("updated", updated), ("unchanged", unchanged)):
        if count:
            INGEST_ROWS.labels(kind, outcome).inc(count)


def job_skipped(job: str) -> None:
    """Count a firing whose slot was already claimed."""
    JOB_RUNS.labels(job, "skipped").inc()


def job_ran(job: str, succeeded: bool, seconds: float) -> None:
    """Count and time a job this process ran."""
    JOB_RUNS.labels(job, "succeeded" if succeeded else "failed").inc()
    JOB_DURATION.labels(job).observe(seconds)


def webhook_attempted(event: str, delivered: bool, seconds: float) -> None:
    """Count a webhook delivery attempt and time it."""
    WEBHOOK_ATTEMPTS.labels(event, "delivered" if delivered else "refused").inc()
    WEBHOOK_DURATION.labels(event).observe(seconds)
