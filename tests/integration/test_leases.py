"""Nothing stays running after a crash: processes killed outright (SIGKILL) mid-run leave
runs and job slots that are marked abandoned once their lease runs out, a killed
replica's job slot is run by another, and a killed server's workers end with it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.auth import principals
from incentives.calc import runs
from incentives.config import load_settings
from incentives.db.connection import driver_of, driver_transaction
from incentives.db.leases import ABANDONED_ERROR, Lease, RunStatus
from tests.http import PROGRAM, api_client, processes, served
from tests.integration.test_period_close import deal, feed, fetch, setup_world

# Short, so that the tests wait seconds; the default is checked on its own.
LEASE = Lease(2.0)
# What a machine busy with other tests may add to a bound.
SLACK = 3.0


def _environment(database_url: str, **more: str) -> dict[str, str]:
    return {
        **os.environ,
        "INCENTIVES_DATABASE_URL": database_url,
        "INCENTIVES_LEASE_SECONDS": str(LEASE.seconds),
        "INCENTIVES_SCHEDULER": "off",
        **more,
    }


async def _until(check: Callable[[], Awaitable[Any]], seconds: float, what: str) -> Any:
    """Wait for ``check`` to give something true; that, or fail saying ``what``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.05)
    pytest.fail(f"{what} within {seconds:g} s")


Release = Callable[[], Awaitable[None]]


@contextlib.asynccontextmanager
async def _writes_held(db: AsyncEngine) -> AsyncIterator[Release]:
    """Runs are held at their first write of results until the block ends (or the
    release it gives is called): they have recorded themselves and read their inputs,
    and wait there, mid-run."""
    async with db.connect() as sa_conn:
        conn = await driver_of(sa_conn)
        held = conn.transaction()
        await held.start()
        await conn.execute(
            "LOCK TABLE participant_results, earning_lines, credits IN EXCLUSIVE MODE"
        )

        async def release() -> None:
            if conn.is_in_transaction():
                await held.rollback()

        try:
            yield release
        finally:
            await release()


async def _waiting_backends(db: AsyncEngine) -> list[int]:
    """The server processes of this database waiting on a lock (runs held mid-run)."""
    rows = await fetch(
        db,
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock'",
    )
    return [r["pid"] for r in rows]


async def _gone(db: AsyncEngine, backends: list[int]) -> bool:
    rows = await fetch(db, "SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1::int[])", backends)
    return not rows


async def _runs(db: AsyncEngine) -> list[tuple[str, str, str | None, bool]]:
    """Each run's trigger, status, error and whether it has finished, as stored."""
    rows = await fetch(
        db, "SELECT trigger, status, error, finished_at IS NOT NULL AS f FROM calc_runs ORDER BY id"
    )
    return [(r["trigger"], r["status"], r["error"], r["f"]) for r in rows]


async def _world(db: AsyncEngine) -> None:
    await setup_world(db)
    await feed(db, "deals", [deal("D-1", "rep-1", "10000", "2026-02-10")])


def test_by_default_a_dead_process_s_work_is_abandoned_within_a_minute() -> None:
    lease = Lease(load_settings({}).lease_seconds)
    assert lease.noticed_within <= 60
    assert lease.beat <= 5  # renewed every few seconds
    with pytest.raises(ValueError, match="INCENTIVES_LEASE_SECONDS must be seconds"):
        load_settings({"INCENTIVES_LEASE_SECONDS": "0"})


async def test_a_calc_killed_mid_run_is_marked_abandoned_by_the_next_calc(
    db: AsyncEngine, database_url: str
) -> None:
    await _world(db)
    env = _environment(database_url)
    async with _writes_held(db):
        calc = await asyncio.create_subprocess_exec(
            PROGRAM, "calc", "--period", "2026", env=env, stderr=subprocess.DEVNULL
        )
        backends = await _until(lambda: _waiting_backends(db), 30, "the run did not start")
        # Held past its first lease, the run still reads as running: its process renews it.
        await asyncio.sleep(LEASE.seconds * 1.5)
        [run] = await fetch(db, "SELECT id FROM calc_runs")
        async with db.connect() as sa_conn:
            live = await runs.summary(await driver_of(sa_conn), run["id"])
        assert live is not None and live.status == RunStatus.RUNNING
        calc.kill()
        await calc.wait()
    await _until(lambda: _gone(db, backends), 30, "the killed run's connection did not end")
    await asyncio.sleep(LEASE.seconds)
    # Its lease has run out, but nobody has looked yet.
    assert await _runs(db) == [("cli", "running", None, False)]
    again = await asyncio.create_subprocess_exec(
        PROGRAM, "calc", "--period", "2026", env=env, stdout=subprocess.PIPE
    )
    out, _ = await again.communicate()
    assert again.returncode == 0, out
    assert await _runs(db) == [
        ("cli", "abandoned", ABANDONED_ERROR, True),
        ("cli", "succeeded", None, True),
    ]


async def test_a_run_whose_server_was_killed_mid_request_reads_as_abandoned(
    db: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    await _world(db)
    async with driver_transaction(db) as conn:
        _, token = await principals.create(
            conn, name="finance", role="finance", participant=None, actor=CLI_ACTOR
        )
    finance = {"Authorization": f"Bearer {token}"}
    async with (
        _writes_held(db),
        served(tmp_path, _environment(database_url)) as server,
        httpx.AsyncClient(base_url=server.base, timeout=60) as client,
    ):
        asked = asyncio.create_task(
            client.post("/api/v1/calc-runs", json={"period": "2026"}, headers=finance)
        )
        await _until(lambda: _waiting_backends(db), 30, "the run did not start")
        os.killpg(server.process.pid, signal.SIGKILL)
        await server.process.wait()
        killed = time.monotonic()
        with pytest.raises(httpx.TransportError):
            await asked
    [run] = await fetch(db, "SELECT id FROM calc_runs")
    async with api_client(db) as client:

        async def abandoned() -> dict[str, Any] | None:
            answer = await client.get(f"/api/v1/calc-runs/{run['id']}", headers=finance)
            assert answer.status_code == 200, answer.text
            body: dict[str, Any] = answer.json()
            return body if body["status"] == RunStatus.ABANDONED else None

        body = await _until(abandoned, LEASE.noticed_within + SLACK, "no abandoned run")
    assert time.monotonic() - killed <= LEASE.noticed_within + SLACK
    assert (body["trigger"], body["error"]) == ("api", ABANDONED_ERROR)
    assert body["finished_at"] is not None
    assert await fetch(db, "SELECT 1 FROM participant_results") == []  # it wrote nothing


async def test_a_replica_killed_mid_job_has_its_slot_run_by_another(
    db: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    await _world(db)
    # Nothing due to close: the nightly recompute is the job held mid-run.
    env = _environment(database_url, INCENTIVES_SCHEDULER="on", INCENTIVES_CLOSE_GRACE_DAYS="400")

    async def nightly() -> list[Any]:
        return await fetch(
            db,
            "SELECT status, attempts, runner FROM job_runs WHERE job = 'recompute-open-periods'",
        )

    for replica in ("a", "b"):
        (tmp_path / replica).mkdir()
    async with _writes_held(db) as release, served(tmp_path / "a", env) as first:
        await _until(lambda: _waiting_backends(db), 30, "the nightly run did not start")
        async with served(tmp_path / "b", env) as second:
            [claim] = await nightly()
            assert (claim["status"], claim["attempts"]) == ("running", 1)
            assert f":{first.process.pid}:" in claim["runner"]
            os.killpg(first.process.pid, signal.SIGKILL)
            await first.process.wait()
            killed = time.monotonic()

            async def taken_up() -> bool:
                [row] = await nightly()
                return bool(row["attempts"] == 2)

            await _until(taken_up, LEASE.noticed_within + SLACK, "the slot was not taken up")
            assert time.monotonic() - killed <= LEASE.noticed_within + SLACK
            [claim] = await nightly()
            assert f":{second.process.pid}:" in claim["runner"]
            # The killed replica's run is marked by the other's sweep.
            await _until(lambda: _status_of_first_run(db, RunStatus.ABANDONED), 10, "not abandoned")
            await release()

            async def done() -> bool:
                [row] = await nightly()
                return bool(row["status"] == RunStatus.SUCCEEDED)

            await _until(done, 60, "the slot taken up did not succeed")
    assert [run[:2] for run in await _runs(db)] == [
        ("schedule", "abandoned"),
        ("schedule", "succeeded"),
    ]


async def _status_of_first_run(db: AsyncEngine, status: RunStatus) -> bool:
    rows = await _runs(db)
    return bool(rows) and rows[0][1] == status


async def test_a_killed_server_s_workers_end_with_it(
    db: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    await setup_world(db)
    async with driver_transaction(db) as conn:
        _, token = await principals.create(
            conn, name="crm", role="integration", participant=None, actor=CLI_ACTOR
        )
    async with served(tmp_path, _environment(database_url)) as server:
        async with httpx.AsyncClient(base_url=server.base) as client:
            # rep-1's deal has mgr-1's rollup recomputed in the worker process.
            posted = await client.post(
                "/api/v1/ingest/deals",
                json={"items": [deal("D-1", "rep-1", "10000", "2026-02-10")]},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert posted.status_code == 200, posted.text

        async def workers() -> list[int]:
            return [p.pid for p in processes() if p.parent == server.process.pid]

        started = await _until(workers, 30, "the rollups' worker did not start")
        server.process.kill()  # the server alone, as the kernel's OOM killer would
        await server.process.wait()

        async def ended() -> bool:
            return not [p for p in processes() if p.pid in started and p.state != "Z"]

        await _until(ended, 5, f"workers {started} outlived their server")
