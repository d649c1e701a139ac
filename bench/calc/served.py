"""(b) and (c): an ``incentives serve`` child on the benchmark database, driven on loopback.

(b) Single-deal ingests, one at a time, through ``POST /api/v1/ingest/deals``. The ingest
    commits before the response; the recompute of the owner, split partners and managers
    up the chain runs as a background task after it. Latency is from the response to the
    moment a SQL read (on a connection of its own) sees the owner's result for the deal's
    quarter written by a newer run. The read is made whenever a run announces changed
    results (the ``NOTIFY`` its commit delivers) and every 50 ms besides. Where the time
    goes is measured in-process by bench/calc/profile.py.
(c) ``GET /api/v1/me/earnings`` from concurrent keep-alive connections, each a minimal
    HTTP/1.1 client on asyncio streams (cheaper than a full client library, so the client
    takes little of the machine's two cores), over a fixed number of requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import httpx
import msgspec

from bench.calc.data import PLAN_KEY, YEAR, participant_key, roles
from bench.engine.generate import OUT, PRODUCTS
from bench.ingest.run import (
    CLI,
    Server,
    _dsn,
    _env,
    _free_port,
    _wait_healthy,
    api_server,
    run_child,
)
from incentives.calc import changes

SEED = 20260402
# How often the end of the managers' rollups is checked for.
SETTLE_POLL_S = 0.01
# Reads of the owner's result between announcements, in case one is missed.
RECHECK_S = 0.05
VISIBLE_WITHIN_S = 300.0


def token(url: str, role: str, participant: str | None = None) -> str:
    """A new API user's bearer token (through the CLI, as an operator would)."""
    args = [*CLI, "users", "create", "--role", role]
    if participant is not None:
        args += ["--participant", participant]
    child = run_child(args, _env(url))
    if child.returncode != 0:
        raise SystemExit(f"users create failed: {child.stderr}")
    return child.stdout.strip().splitlines()[-1]


@contextmanager
def served(url: str, workers: int = 1) -> Iterator[tuple[int, Server]]:
    """The API on the benchmark database (``workers`` processes); its port and process."""
    port = _free_port()
    with api_server(url, port, OUT / "calc-api.log", workers) as server:
        yield port, server


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(values: list[float]) -> dict[str, float]:
    """p50, p90, p99 and max of durations in seconds, in milliseconds."""
    return {f"p{p}_ms": round(percentile(values, p) * 1000, 1) for p in (50, 90, 99)} | {
        "max_ms": round(max(values) * 1000, 1),
        "count": len(values),
    }


def _quarter(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


async def incremental(url: str, port: int, ingests: int) -> dict[str, Any]:
    """``ingests`` new deals, one at a time; commit-to-visible latency of each."""
    integration = token(url, "integration")
    rng = random.Random(SEED)
    people = roles(len(await _participant_ids(url)))
    reps = [i for i, r in enumerate(people) if r == "rep"]
    poll = await asyncpg.connect(_dsn(url))
    announced = asyncio.Event()
    await poll.add_listener(changes.CHANNEL, lambda *_: announced.set())
    latencies: list[float] = []
    responses: list[float] = []
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {integration}"},
            timeout=httpx.Timeout(VISIBLE_WITHIN_S),
        ) as client:
            await _wait_healthy(client)
            for n in range(ingests):
                owner = rng.choice(reps)
                day = dt.date(YEAR, 1, 1) + dt.timedelta(days=rng.randrange(365))
                # A deal closed before its owner was hired credits no one: nothing to see.
                hired = await poll.fetchval(
                    "SELECT start_date FROM participants WHERE id = $1", owner + 1
                )
                if hired is not None and hired > day:
                    day = hired
                deal = {
                    "external_id": f"bench-inc-{n:06d}",
                    "owner": participant_key(owner),
                    "amount": f"{rng.randrange(5_000, 30_000)}.00",
                    "currency": "USD",
                    "close_date": day.isoformat(),
                    "status": "won",
                    "product": rng.choice(PRODUCTS),
                    "attributes": {"deal_type": "new_business"},
                }
                where = (owner + 1, PLAN_KEY, _quarter(day))
                before = await poll.fetchval(_RUN_OF, *where) or 0
                body = msgspec.json.encode({"items": [deal]})
                sent = time.perf_counter()
                response = await client.post("/api/v1/ingest/deals", content=body)
                committed = time.perf_counter()
                if response.status_code != 200 or response.json()["created"] != 1:
                    raise SystemExit(f"ingest failed: {response.status_code} {response.text}")
                responses.append(committed - sent)
                await _visible(poll, where, before, announced)
                latencies.append(time.perf_counter() - committed)
                # The next deal follows as soon as this owner's pay is readable: managers'
                # rollups (seconds for a director) go on in the background, merged, as
                # they would under a steady stream of deals.
            last = time.perf_counter()
            await _settled(poll)
            caught_up = time.perf_counter() - last
            runs = await poll.fetchrow(_RUN_COUNTS)
    finally:
        await poll.close()
    return {
        "ingests": ingests,
        "commit_to_visible": summary_ms(latencies),
        "ingest_response": summary_ms(responses),
        "rollups_caught_up_after_last_deal_s": round(caught_up, 2),
        "ingest_runs": dict(runs) if runs else {},
    }


_RUN_OF = (
    "SELECT run_id FROM participant_results WHERE participant_id = $1 AND plan_key = $2"
    " AND period = $3"
)


async def _visible(
    poll: asyncpg.Connection, where: tuple[int, str, str], before: int, announced: asyncio.Event
) -> int:
    """Wait until the result at ``where`` comes from a run newer than ``before``, reading
    it after each announcement of changed results (and every RECHECK_S)."""
    until = time.perf_counter() + VISIBLE_WITHIN_S
    while time.perf_counter() < until:
        # Cleared before the read, so that an announcement arriving during it is kept.
        announced.clear()
        run_id = await poll.fetchval(_RUN_OF, *where)
        if run_id is not None and run_id > before:
            return int(run_id)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(announced.wait(), RECHECK_S)
    raise SystemExit(f"no new result for {where} within {VISIBLE_WITHIN_S:.0f} s")


_RUN_COUNTS = (
    "SELECT count(*) FILTER (WHERE jsonb_array_length(scope->'participants') = 1) AS owners,"
    " count(*) FILTER (WHERE jsonb_array_length(scope->'participants') > 1) AS managers"
    " FROM calc_runs WHERE trigger = 'ingest'"
)


async def _settled(poll: asyncpg.Connection) -> None:
    """Wait until no incremental run is running or about to start."""
    until = time.perf_counter() + VISIBLE_WITHIN_S
    quiet = 0
    while time.perf_counter() < until:
        running = await poll.fetchval(
            "SELECT count(*) FROM calc_runs WHERE trigger = 'ingest' AND status = 'running'"
        )
        quiet = quiet + 1 if running == 0 else 0
        if quiet >= 50:  # nothing running for 50 polls in a row: the merged queue is empty
            return
        await asyncio.sleep(SETTLE_POLL_S)
    raise SystemExit(f"recomputes still running after {VISIBLE_WITHIN_S:.0f} s")


async def _participant_ids(url: str) -> list[int]:
    conn = await asyncpg.connect(_dsn(url))
    try:
        return [r[0] for r in await conn.fetch("SELECT id FROM participants ORDER BY id")]
    finally:
        await conn.close()


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _client(
    connection: Connection, requests: list[bytes], latencies: list[float], remaining: list[int]
) -> None:
    """One keep-alive connection sending requests in turn while any are left."""
    reader, writer = connection
    while remaining[0] > 0:
        remaining[0] -= 1
        request = requests[remaining[0] % len(requests)]
        started = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - started)
        if not head.startswith(b"HTTP/1.1 200"):
            raise SystemExit(f"GET: {head.decode(errors='replace')}")


async def reads(
    url: str, port: int, clients: int, requests: int, reps: int, warmup: int = 1_000
) -> dict[str, Any]:
    """``requests`` GETs of /api/v1/me/earnings from ``clients`` connections, as ``reps`` reps."""
    people = roles(len(await _participant_ids(url)))
    chosen = [i for i, r in enumerate(people) if r == "rep"][:: max(1, people.count("rep") // reps)]
    tokens = [token(url, "rep", participant_key(i)) for i in chosen[:reps]]
    messages = [
        (
            "GET /api/v1/me/earnings HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {t}\r\nAccept: application/json\r\n\r\n"
        ).encode()
        for t in tokens
    ]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        await _wait_healthy(client)
        sample = await client.get(
            "/api/v1/me/earnings", headers={"Authorization": f"Bearer {tokens[0]}"}
        )
    return {
        **await load(port, messages, clients, requests, warmup),
        "reps": len(tokens),
        "response_bytes": len(sample.content),
        "lines_per_response": len(sample.json()),
    }


async def load(
    port: int, messages: list[bytes], clients: int, requests: int, warmup: int
) -> dict[str, Any]:
    """Warm-up requests (``warmup`` in all, and at least every message from every
    connection), then ``requests`` timed ones, from ``clients`` back-to-back keep-alive
    connections taking ``messages`` in turn."""
    # The connections are opened and warmed before the clock starts, as a load tool
    # does: what is measured is reads at that concurrency, not a storm of connects.
    connections = [await asyncio.open_connection("127.0.0.1", port) for _ in range(clients)]
    try:
        warm: list[float] = []
        # Every connection sends every message while warming, so that every reader's
        # token has been seen (and every page asked for) on whichever process the
        # connection reached; otherwise the first sight of a token is on the clock.
        each = max(warmup // clients, len(messages))
        await asyncio.gather(*(_client(c, messages, warm, [each]) for c in connections))
        # This process still holds the generated data: its collector's full passes over
        # it would stop every client's clock at once, which is the client's pause, not
        # the server's.
        gc.collect()
        gc.freeze()
        latencies: list[float] = []
        remaining = [requests]
        started = time.perf_counter()
        await asyncio.gather(*(_client(c, messages, latencies, remaining) for c in connections))
        seconds = time.perf_counter() - started
    finally:
        gc.unfreeze()
        for _, writer in connections:
            writer.close()
    return {
        "clients": clients,
        "requests": len(latencies),
        "seconds": round(seconds, 2),
        "requests_per_s": round(len(latencies) / seconds),
        "latency": summary_ms(latencies),
    }
