"""Leases: how a recorded run or job slot shows that the process doing it is still there.

A calculation run (``calc_runs``) or a scheduled job's slot (``job_runs``) is a row marked
``running`` when its work starts and finished by the process doing it. A process can die
in between (killed, out of memory, its machine gone) and then nobody would ever finish
the row. So each row holds a lease, ``lease_until``, which its owner's heartbeat pushes
forward every sixth of the lease while it works. A ``running`` row whose lease has run
out belongs to a process that is gone: whoever notices marks it ``abandoned``.

A heartbeat column was chosen over a session-level advisory lock on a connection of the
owner's: it costs no connection per run, works through connection poolers, and a
partitioned owner (whose socket the server has not yet found dead) loses its lease on
time all the same. The lease's end is stored, not the last beat, so the process that
notices needs to know nothing of the owner's settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.config import load_settings
from incentives.db.connection import driver_of

logger = logging.getLogger(__name__)


class RunStatus(enum.StrEnum):
    """Where a calculation run or a job slot stands."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    # Its process stopped before it finished (its lease ran out); nothing it was writing
    # was written.
    ABANDONED = "abandoned"


class Leased(enum.StrEnum):
    """The tables whose rows hold a lease while they run."""

    CALC_RUNS = "calc_runs"
    JOB_RUNS = "job_runs"


ABANDONED_ERROR = "abandoned: the process running it stopped before it finished"


@dataclass(frozen=True)
class Lease:
    """How long a row stays ``running`` without its owner's heartbeat, and the rhythms
    that follow from it."""

    seconds: float

    @property
    def length(self) -> dt.timedelta:
        """The lease, as PostgreSQL's interval."""
        return dt.timedelta(seconds=self.seconds)

    @property
    def beat(self) -> float:
        """Seconds between an owner's renewals: five may be missed before it expires."""
        return self.seconds / 6

    @property
    def sweep(self) -> float:
        """Seconds between a scheduler's looks for expired leases."""
        return self.seconds / 2

    @property
    def noticed_within(self) -> float:
        """Seconds after its owner dies by which a running row is marked abandoned."""
        return self.seconds + self.sweep


def configured() -> Lease:
    """The lease the settings give (``INCENTIVES_LEASE_SECONDS``)."""
    return Lease(load_settings().lease_seconds)


@contextlib.asynccontextmanager
async def held(
    engine: AsyncEngine, table: Leased, row_id: int, lease: Lease
) -> AsyncIterator[None]:
    """Renew the lease of ``row_id`` every beat while the block runs."""
    renewing = asyncio.create_task(_renew(engine, table, row_id, lease))
    try:
        yield
    finally:
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewing


async def _renew(engine: AsyncEngine, table: Leased, row_id: int, lease: Lease) -> None:
    while True:
        await asyncio.sleep(lease.beat)
        try:
            async with engine.connect() as sa_conn:
                await (await driver_of(sa_conn)).execute(
                    f"UPDATE {table} SET lease_until = now() + $2::interval"
                    " WHERE id = $1 AND status = 'running'",
                    row_id,
                    lease.length,
                )
        except Exception as exc:  # a missed beat is no reason to stop beating
            logger.warning("renewing the lease of %s %s failed: %s", table, row_id, exc)


async def reap(
    conn: asyncpg.Connection, table: Leased, *, row_id: int | None = None
) -> list[asyncpg.Record]:
    """Mark ``abandoned`` the running rows of ``table`` whose lease has run out (only
    ``row_id``'s, if given); the rows so marked, as they are now. Rows are locked as they
    are marked, so two processes reaping at once mark each row once."""
    return await conn.fetch(
        f"UPDATE {table} SET status = $1, finished_at = clock_timestamp(), error = $2"
        " WHERE status = 'running' AND lease_until < now()"
        " AND ($3::bigint IS NULL OR id = $3) RETURNING *",
        RunStatus.ABANDONED.value,
        ABANDONED_ERROR,
        row_id,
    )
