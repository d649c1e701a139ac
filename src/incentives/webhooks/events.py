"""What a webhook announces, and how a change announces it: in its own transaction.

``announce`` writes a message, and one delivery for each active subscription to its type,
in the caller's transaction: the announcement commits with the change or not at all, and
a receiver that is down, or a service restarted before it sent, loses nothing. When no
subscription wants the type, nothing is written.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
import msgspec

# The channel the senders listen on, to send at once rather than at their next look.
CHANNEL = "webhook_due"


class EventType(enum.StrEnum):
    """Every event a subscription may ask for."""

    STATEMENT_SUBMITTED = "statement.submitted"
    STATEMENT_APPROVED = "statement.approved"
    STATEMENT_REJECTED = "statement.rejected"
    STATEMENT_PAID = "statement.paid"
    DISPUTE_OPENED = "dispute.opened"
    DISPUTE_ANSWERED = "dispute.answered"
    DISPUTE_RESOLVED = "dispute.resolved"
    CONTEST_STARTED = "contest.started"
    CONTEST_ENDED = "contest.ended"
    CONTEST_AWARDED = "contest.awarded"
    AWARD_GRANTED = "award.granted"
    CALC_RUN_FAILED = "calc_run.failed"
    # Sent only to the subscription it is asked for, to try a receiver out.
    PING = "webhook.ping"


class DeliveryStatus(enum.StrEnum):
    """Where a delivery stands: still being tried, received, or given up on."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


def message_id() -> str:
    """A new message's id (the ``webhook-id`` header): unique, so receivers can skip a
    message they have had already."""
    return f"msg_{uuid.uuid4().hex}"


# One message per item and a delivery per (message, subscription wanting its type).
_ANNOUNCE = """
WITH subscribers AS (
    SELECT id FROM webhook_subscriptions WHERE active AND $1::text = ANY(events)
), messages AS (
    INSERT INTO webhook_messages (id, type, data)
    SELECT u.id, $1, u.data::jsonb FROM unnest($2::text[], $3::text[]) AS u(id, data)
    WHERE EXISTS (SELECT 1 FROM subscribers)
    RETURNING id
), deliveries AS (
    INSERT INTO webhook_deliveries (subscription_id, message_id)
    SELECT s.id, m.id FROM subscribers s, messages m
    RETURNING 1
)
SELECT count(*) FROM deliveries
"""


async def announce(
    conn: asyncpg.Connection, event: EventType, items: Sequence[Mapping[str, Any]]
) -> int:
    """Announce ``event`` once per item (its ``data``), in the caller's transaction; the
    deliveries owed. The senders are woken when the transaction commits."""
    if not items:
        return 0
    owed: int = await conn.fetchval(
        _ANNOUNCE,
        event.value,
        [message_id() for _ in items],
        [msgspec.json.encode(item).decode() for item in items],
    )
    if owed:
        await conn.execute("SELECT pg_notify($1, '')", CHANNEL)
    return owed


async def ping(conn: asyncpg.Connection, subscription_id: int, data: Mapping[str, Any]) -> int:
    """Queue a ``webhook.ping`` for one subscription only; its delivery's id."""
    mid = message_id()
    await conn.execute(
        "INSERT INTO webhook_messages (id, type, data) VALUES ($1, $2, $3::jsonb)",
        mid,
        EventType.PING.value,
        msgspec.json.encode(data).decode(),
    )
    delivery_id: int = await conn.fetchval(
        "INSERT INTO webhook_deliveries (subscription_id, message_id) VALUES ($1, $2) RETURNING id",
        subscription_id,
        mid,
    )
    await conn.execute("SELECT pg_notify($1, '')", CHANNEL)
    return delivery_id
