"""Ingest benchmark: deals per second and peak memory, through the CSV import and the API.

Each measurement runs on a database of its own (``incentives_bench_<random>``), created on
the server of INCENTIVES_DATABASE_URL and dropped afterwards. The import and the API
server run as child processes; their peak memory is the child's maximum resident set.

    python -m bench.ingest.run                       # 100k and 1M deals, CSV and API
    python -m bench.ingest.run --sizes 100000 --only csv

Results are printed as Markdown and kept in bench/out/ingest-results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
from sqlalchemy import make_url

from bench.ingest import generate

SERVER = os.environ.get(
    "INCENTIVES_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
CLI = [sys.executable, "-m", "incentives.cli"]
BATCH = 10_000


@dataclass
class Measurement:
    """One timed run."""

    path: str  # "csv" or "api"
    step: str  # "create" (new deals) or "replay" (the same deals again: all unchanged)
    deals: int
    seconds: float
    deals_per_second: float
    peak_rss_mib: float
    wall_seconds: float
    # API only: the server's resident set after each tenth of the batches (MiB).
    rss_trend_mib: list[float] | None = None


def _dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(False)


@contextlib.asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """A new empty database on the benchmark server; its URL. Dropped afterwards."""
    name = f"incentives_bench_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(_dsn(SERVER))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield make_url(SERVER).set(database=name).render_as_string(False)
    finally:
        conn = await asyncpg.connect(_dsn(SERVER))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@dataclass
class Child:
    """A finished child process: exit code, output, wall time, peak memory."""

    returncode: int
    stdout: str
    stderr: str
    wall_seconds: float
    peak_rss_mib: float


def _finish(proc: subprocess.Popen[bytes], started: float) -> tuple[int, float, float]:
    # wait4 gives this child's own resource usage (ru_maxrss is in KiB on Linux).
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, time.perf_counter() - started, usage.ru_maxrss / 1024


def run_child(args: list[str], env: dict[str, str]) -> Child:
    """Run a command to its end, measuring it."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=err)
        code, wall, rss = _finish(proc, started)
        out.seek(0)
        err.seek(0)
        return Child(code, out.read().decode(), err.read().decode(), wall, rss)


def _env(url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "INCENTIVES_DATABASE_URL": url, **extra}


def _check(child: Child, what: str) -> Child:
    if child.returncode != 0:
        raise SystemExit(f"{what} failed ({child.returncode}):\n{child.stderr}{child.stdout}")
    return child


_SUMMARY = re.compile(r"([\d,]+) rows, .* in ([\d.]+) s \(([\d,]+) rows/s\)")


def _import(url: str, kind: str, path: Path) -> tuple[Child, int, float]:
    """Import a file with the CLI; the child, the rows imported, and its rows per second."""
    child = _check(run_child([*CLI, "import", kind, str(path)], _env(url)), f"import {kind}")
    match = _SUMMARY.search(child.stdout)
    assert match is not None, child.stdout
    return child, int(match.group(1).replace(",", "")), float(match.group(3).replace(",", ""))


async def bench_csv(deals: int, participants: int) -> list[Measurement]:
    """Import the deals file into a fresh database, then import it again."""
    people = generate.write_participants(participants)
    path = generate.write_deals(deals, participants)
    results = []
    async with fresh_database() as url:
        _import(url, "participants", people)
        for step in ("create", "replay"):
            child, rows, rate = _import(url, "deals", path)
            assert rows == deals
            results.append(Measurement("csv", step, deals, rows / rate, rate,
                                       child.peak_rss_mib, child.wall_seconds))  # fmt: skip
            print(f"  csv {step:6} {deals:>9,} deals: {rate:>8,.0f}/s,"
                  f" peak RSS {child.peak_rss_mib:,.0f} MiB", flush=True)  # fmt: skip
    return results


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def current_rss_mib(pid: int) -> float:
    """A process's resident set now (Linux)."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    return int(match.group(1)) / 1024 if match else 0.0


@dataclass
class Server:
    """The running API server: its pid, then (once stopped) its measurement."""

    pid: int
    finished: Child | None = None
    # The largest resident set seen after a response.
    sampled_peak_mib: float = 0.0


@contextlib.contextmanager
def api_server(url: str, port: int, log: Path, workers: int = 1) -> Iterator[Server]:
    """``incentives serve`` (``workers`` processes) on the database, stopped (and measured)
    at the end."""
    # No scheduler: with the machine's clock past the benchmark year's quarters, it would
    # close them (a full final run each) while the API is being measured.
    env = _env(
        url,
        INCENTIVES_HOST="127.0.0.1",
        INCENTIVES_PORT=str(port),
        INCENTIVES_WORKERS=str(workers),
        INCENTIVES_SCHEDULER="off",
    )
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen([*CLI, "serve"], env=env, stdout=out, stderr=subprocess.STDOUT)
        server = Server(proc.pid)
        try:
            yield server
        finally:
            proc.send_signal(signal.SIGINT)
            code, wall, rss = _finish(proc, started)
            server.finished = Child(code, "", log.read_text(), wall, rss)


async def _wait_healthy(client: httpx.AsyncClient, deadline: float = 60) -> None:
    until = time.monotonic() + deadline
    while True:
        with contextlib.suppress(httpx.TransportError):
            if (await client.get("/health")).status_code == 200:
                return
        if time.monotonic() > until:
            raise SystemExit("the API server did not become healthy; see bench/out/api.log")
        await asyncio.sleep(0.2)


def _bodies(items: Iterator[dict[str, Any]]) -> list[bytes]:
    bodies, batch = [], []
    for item in items:
        batch.append(item)
        if len(batch) == BATCH:
            bodies.append(msgspec.json.encode({"items": batch}))
            batch = []
    if batch:
        bodies.append(msgspec.json.encode({"items": batch}))
    return bodies


async def _post_all(
    client: httpx.AsyncClient,
    kind: str,
    bodies: list[bytes],
    clients: int,
    on_response: Callable[[int], None] = lambda done: None,
) -> dict[str, int]:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    totals = {"created": 0, "updated": 0, "unchanged": 0}

    async def worker() -> None:
        while not queue.empty():
            body = queue.get_nowait()
            response = await client.post(f"/api/v1/ingest/{kind}", content=body)
            if response.status_code != 200:
                raise SystemExit(f"POST {kind}: {response.status_code} {response.text[:2000]}")
            result = response.json()
            for key in totals:
                totals[key] += result[key]
            on_response(len(bodies) - queue.qsize())

    await asyncio.gather(*(worker() for _ in range(clients)))
    return totals


async def bench_api(deals: int, participants: int, clients: int) -> list[Measurement]:
    """POST the deals in batches of 10,000 with a few concurrent clients, then again."""
    # Encoded before the clock starts: the client's own work is not the server's speed.
    people = _bodies(generate.participant_items(participants))
    bodies = _bodies(generate.deal_items(deals, participants))
    results: list[Measurement] = []
    async with fresh_database() as url:
        token = _check(
            run_child([*CLI, "users", "create", "--name", "bench", "--role", "integration"],
                      _env(url)), "users create",
        ).stdout.strip().splitlines()[-1]  # fmt: skip
        port = _free_port()
        log = generate.OUT / "api.log"
        timings: list[tuple[str, float, dict[str, int], list[float]]] = []
        with api_server(url, port, log) as server:
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}",
                headers={"Authorization": f"Bearer {token}",
                         "Content-Type": "application/json"},
                timeout=httpx.Timeout(300),
                limits=httpx.Limits(max_connections=clients),
            ) as client:  # fmt: skip
                await _wait_healthy(client)
                await _post_all(client, "participants", people, 1)
                tenth = max(1, len(bodies) // 10)
                for step in ("create", "replay"):
                    trend: list[float] = []

                    def sample(done: int, trend: list[float] = trend) -> None:
                        rss = current_rss_mib(server.pid)
                        server.sampled_peak_mib = max(server.sampled_peak_mib, rss)
                        if done % tenth == 0:
                            trend.append(round(rss))

                    started = time.perf_counter()
                    totals = await _post_all(client, "deals", bodies, clients, sample)
                    timings.append((step, time.perf_counter() - started, totals, trend))
        child = server.finished
        assert child is not None
        for step, seconds, totals, trend in timings:
            assert sum(totals.values()) == deals, totals
            results.append(Measurement("api", step, deals, seconds, deals / seconds,
                                       child.peak_rss_mib, child.wall_seconds, trend))  # fmt: skip
            print(f"  api {step:6} {deals:>9,} deals: {deals / seconds:>8,.0f}/s,"
                  f" server peak RSS {child.peak_rss_mib:,.0f} MiB (sampled after responses"
                  f" {server.sampled_peak_mib:,.0f}), RSS by tenths {trend}",
                  flush=True)  # fmt: skip
    return results


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def markdown(results: list[Measurement]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| path | run | deals | seconds | deals/s | peak RSS (MiB) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.path} | {r.step} | {r.deals:,} | {r.seconds:.1f} | {r.deals_per_second:,.0f}"
            f" | {r.peak_rss_mib:,.0f} |"
        )
    return "\n".join(lines)


async def main() -> None:
    """Run the benchmark for the sizes asked."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=2, help="concurrent API clients")
    parser.add_argument("--only", choices=["csv", "api"])
    args = parser.parse_args()

    results: list[Measurement] = []
    for size in args.sizes:
        print(f"{size:,} deals, {args.participants:,} participants", flush=True)
        if args.only in (None, "csv"):
            results += await bench_csv(size, args.participants)
        if args.only in (None, "api"):
            results += await bench_api(size, args.participants, args.clients)
    report = {"machine": machine(), "results": [asdict(r) for r in results]}
    generate.OUT.mkdir(parents=True, exist_ok=True)
    (generate.OUT / "ingest-results.json").write_text(json.dumps(report, indent=2))
    print()
    print(f"Machine: {report['machine']}")
    print(markdown(results))


if __name__ == "__main__":
    asyncio.run(main())
