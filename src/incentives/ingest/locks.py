"""Who may write an ingest kind when: one batch at a time, but a file not for its whole run.

An API batch holds its kind's lock until it commits, so two batches naming the same new
key never both insert it. A CSV import is one transaction too (all of a file or none),
but holding the lock for all of it kept every API batch of the kind waiting for the
whole file. So an import takes the lock for each chunk only, where the kind's checks
read nothing else of the kind (``CHUNKED``), and API batches go between its chunks. A
batch that names a key an import is still creating waits for the import's commit on the
key's unique index, and is then refused as a conflict, to be sent again.

Assignments and plan assignments keep the lock for the whole file: their checks
(overlapping ranges, management cycles) read the kind's other rows, which a batch could
not see in an import's uncommitted chunks.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg

from incentives import errors
from incentives.ingest.items import Kind

CHUNKED = frozenset({Kind.PARTICIPANTS, Kind.DEALS, Kind.ACTIVITIES, Kind.QUOTAS, Kind.FX_RATES})

_KEY = "hashtext('ingest:' || $1)"


class KeysBusy(errors.Conflict):
    """Another ingest, not yet committed, created some of the batch's keys."""

    def __init__(self, kind: str) -> None:
        super().__init__(
            f"another ingest of {kind} was creating some of these keys meanwhile; send the"
            " batch again"
        )


async def for_transaction(conn: asyncpg.Connection, kind: str) -> None:
    """Hold ``kind``'s lock until the transaction ends."""
    await conn.execute(f"SELECT pg_advisory_xact_lock({_KEY})", kind)


@contextlib.asynccontextmanager
async def for_chunk(conn: asyncpg.Connection, kind: str) -> AsyncIterator[bool]:
    """Hold ``kind``'s lock for the block only when the kind allows it (yields True),
    else until the transaction ends (yields False: the ingest takes it itself)."""
    if kind not in CHUNKED:
        yield False
        return
    await conn.execute(f"SELECT pg_advisory_lock({_KEY})", kind)
    try:
        yield True
    finally:
        await conn.execute(f"SELECT pg_advisory_unlock({_KEY})", kind)
