"""Sending what is owed: each due delivery POSTed, signed, and retried with backoff.

Every server process runs a sender. A sender claims due deliveries with ``FOR UPDATE
SKIP LOCKED`` (two never take the same one) and leases each for the length of an attempt
and some: one that dies mid-attempt leaves the delivery to be taken up again when its
lease ends. Each attempt is recorded; a delivery is ``delivered`` on a 2xx answer and
retried otherwise, after each wait of the retry schedule in turn, and ``failed`` once the
schedule is spent (a replay sends it again). Receivers may therefore get a message more
than once (say, after a lost answer) and in any order: ``webhook-id`` tells them apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import asyncpg
import httpx
import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives import __version__, metrics
from incentives.db.connection import driver_of, driver_transaction
from incentives.db.listen import listen
from incentives.instants import instant
from incentives.webhooks import signing
from incentives.webhooks.events import CHANNEL, DeliveryStatus, EventType
from incentives.webhooks.shapes import Format, body

log = logging.getLogger(__name__)

TIMEOUT = 10.0
# How long a claimed delivery stays the claimer's: an attempt's timeout and a margin.
LEASE = TIMEOUT + 20.0
BATCH = 20
# The longest a sender sleeps without looking, should a wake-up be missed.
IDLE = 5.0
# What of a receiver's answer is kept in the delivery log.
KEPT = 500

_CLAIM = """
WITH due AS (
    SELECT d.id FROM webhook_deliveries d
    JOIN webhook_subscriptions s ON s.id = d.subscription_id
    WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND s.active
    ORDER BY d.next_attempt_at, d.id LIMIT $1 FOR UPDATE OF d SKIP LOCKED
), claimed AS (
    UPDATE webhook_deliveries d
    SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
    FROM due WHERE d.id = due.id
    RETURNING d.id, d.attempts, d.message_id, d.subscription_id
)
SELECT c.id, c.attempts, m.id AS message_id, m.type, m.occurred_at, m.data::text AS data,
       s.url, s.secret, s.format
FROM claimed c JOIN webhook_messages m ON m.id = c.message_id
JOIN webhook_subscriptions s ON s.id = c.subscription_id
"""

_NEXT_DUE = """
SELECT extract(epoch FROM min(d.next_attempt_at) - now()) FROM webhook_deliveries d
JOIN webhook_subscriptions s ON s.id = d.subscription_id
WHERE d.status = 'pending' AND s.active
"""


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: an HTTP status and the start of the answer, or the error
    that stopped it."""

    status: int | None
    error: str | None
    answer: str | None

    @property
    def delivered(self) -> bool:
        """A 2xx answer: the receiver has it."""
        return self.status is not None and 200 <= self.status < 300


class Sender:
    """Delivers due webhook deliveries until cancelled."""

    def __init__(
        self,
        engine: AsyncEngine,
        retries: Sequence[float],
        *,
        timeout: float = TIMEOUT,
    ) -> None:
        self.engine = engine
        self.retries = tuple(retries)
        self.timeout = timeout
        self._wake = asyncio.Event()

    def wake(self, *_: object) -> None:
        """Look for due deliveries now (a listener's callback: a change announced)."""
        self._wake.set()

    async def run(self) -> None:
        """Send what is due, then sleep until the next is due or something is announced."""
        async with httpx.AsyncClient(
            timeout=self.timeout,
            follow_redirects=False,
            headers={"user-agent": f"incentives-webhooks/{__version__}"},
        ) as client:
            while True:
                # Cleared before looking, so that an announcement made while sending
                # cuts the pause short instead of being forgotten.
                self._wake.clear()
                try:
                    while await self.send_due(client):
                        pass
                    pause = await self._pause()
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    log.warning("webhook sender could not reach the database: %s", exc)
                    pause = IDLE
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), pause)

    async def _pause(self) -> float:
        async with self.engine.connect() as sa_conn:
            left = await (await driver_of(sa_conn)).fetchval(_NEXT_DUE)
        return IDLE if left is None else min(IDLE, max(float(left), 0.05))

    async def send_due(self, client: httpx.AsyncClient) -> int:
        """Claim and attempt up to a batch of due deliveries; how many were attempted."""
        async with driver_transaction(self.engine) as conn:
            claimed = await conn.fetch(_CLAIM, BATCH, LEASE)
        if claimed:
            await asyncio.gather(*(self._attempt(client, row) for row in claimed))
        return len(claimed)

    async def _attempt(self, client: httpx.AsyncClient, row: asyncpg.Record) -> None:
        event = EventType(row["type"])
        content = body(
            Format(row["format"]),
            event,
            instant(row["occurred_at"]),
            _decoded(row["data"]),
        )
        sent_at = int(time.time())
        headers = {
            "content-type": "application/json",
            **signing.headers(row["secret"], row["message_id"], sent_at, content),
        }
        started = time.perf_counter()
        try:
            answer = await client.post(row["url"], content=content, headers=headers)
            outcome = Outcome(answer.status_code, None, answer.text[:KEPT] or None)
        except httpx.HTTPError as exc:
            outcome = Outcome(None, f"{type(exc).__name__}: {exc}"[:KEPT], None)
        took = time.perf_counter() - started
        metrics.webhook_attempted(event.value, outcome.delivered, took)
        await self._record(row, outcome, round(took * 1000))

    async def _record(self, row: asyncpg.Record, outcome: Outcome, took_ms: int) -> None:
        attempts: int = row["attempts"]
        if outcome.delivered:
            status, wait = DeliveryStatus.DELIVERED, None
        elif attempts > len(self.retries):
            status, wait = DeliveryStatus.FAILED, None
        else:
            status, wait = DeliveryStatus.PENDING, self.retries[attempts - 1]
        async with driver_transaction(self.engine) as conn:
            await conn.execute(
                "INSERT INTO webhook_attempts (delivery_id, attempt, status_code, error,"
                " duration_ms, response) VALUES ($1, $2, $3, $4, $5, $6)",
                row["id"],
                attempts,
                outcome.status,
                outcome.error,
                took_ms,
                outcome.answer,
            )
            await conn.execute(
                "UPDATE webhook_deliveries SET status = $2,"
                " delivered_at = CASE WHEN $2 = 'delivered' THEN now() END,"
                " next_attempt_at = CASE WHEN $3::float8 IS NULL THEN next_attempt_at"
                " ELSE now() + make_interval(secs => $3::float8) END"
                " WHERE id = $1 AND attempts = $4",
                row["id"],
                status.value,
                wait,
                attempts,
            )
        if not outcome.delivered:
            log.info(
                "webhook delivery %s attempt %s to %s: %s",
                row["id"],
                attempts,
                row["url"],
                outcome.status or outcome.error,
            )


def _decoded(data: str) -> dict[str, object]:
    decoded: dict[str, object] = msgspec.json.decode(data)
    return decoded


@contextlib.asynccontextmanager
async def sending(engine: AsyncEngine, retries: Sequence[float]) -> AsyncIterator[None]:
    """Run a sender, woken by announcements, for as long as the block runs."""
    sender = Sender(engine, retries)
    tasks = [
        asyncio.create_task(
            listen(engine, {CHANNEL: sender.wake}, up=sender.wake, down=_ignore, name="webhooks")
        ),
        asyncio.create_task(sender.run()),
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _ignore() -> None:
    """Nothing to drop when the listener's connection is lost: the sender looks anyway."""
