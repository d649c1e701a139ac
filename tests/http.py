"""An HTTP client for the app in-process, on the test's own event loop, and a served
``incentives`` process for tests that need a real one."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api.app import serving_app


@contextlib.asynccontextmanager
async def api_client(engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the app on ``engine``, as served (fast reads included).

    Litestar's own test client runs the app on another event loop, which the pooled
    asyncpg connections of a shared engine cannot follow; httpx's ASGI transport does not.
    """
    # Litestar types its ASGI callable more narrowly than httpx's generic signature.
    transport = httpx.ASGITransport(app=cast(Any, serving_app(engine)))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def wait_until_healthy(
    process: asyncio.subprocess.Process, base: str, log: Path, seconds: float
) -> None:
    """Wait until the server ``process`` answers ``/health`` at ``base``; fail the test,
    with the end of its ``log``, if it exits or does not answer within ``seconds``."""
    async with httpx.AsyncClient(base_url=base) as probe:
        for _ in range(int(seconds / 0.05)):
            if process.returncode is not None:
                pytest.fail(f"the server exited: {_tail(log)}")
            try:
                if (await probe.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    pytest.fail(f"the server did not answer /health within {seconds:g} s: {_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text()[-2000:]


@dataclass(frozen=True)
class ProcessStat:
    """A process as Linux's /proc shows it: its id, state, parent and group."""

    pid: int
    state: str
    parent: int
    group: int


def processes() -> list[ProcessStat]:
    """Every process now (those that end while being read are left out)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (name) state ppid pgrp …"; the name may hold spaces and parentheses.
            state, parent, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue
        found.append(ProcessStat(int(stat.parent.name), state, int(parent), int(group)))
    return found


def running_in_group(group: int) -> list[int]:
    """The processes of process group ``group`` that still run. A zombie is left out: it
    has ended and only waits for its new parent, the container's first process, to
    collect it, which a child that ends after its parent always does."""
    return [p.pid for p in processes() if p.group == group and p.state != "Z"]


PROGRAM = str(Path(sys.executable).with_name("incentives"))


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    """A server process started in a session of its own, and what it wrote."""

    process: asyncio.subprocess.Process
    base: str
    log: Path

    def stderr(self) -> str:
        """What the server wrote."""
        return self.log.read_text()


@asynccontextmanager
async def served(tmp_path: Path, env: dict[str, str], *args: str) -> AsyncIterator[Served]:
    """``incentives serve`` (or ``args``), once it answers /health; killed if still running
    when the block ends."""
    port = free_port()
    log = tmp_path / "stderr.log"
    with log.open("wb") as err:
        process = await asyncio.create_subprocess_exec(
            PROGRAM,
            *(args or ("serve",)),
            "--port",
            str(port),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_until_healthy(process, base, log, 60)
        yield Served(process, base, log)
    finally:
        if process.returncode is None:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
