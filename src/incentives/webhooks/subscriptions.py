"""Webhook subscriptions: who is told of what, and how their deliveries went.

Finance and administrators manage them; each change leaves an audit entry (never with the
secret, which is shown once, when the subscription is made).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from typing import Annotated

import asyncpg
import msgspec

from incentives.audit import log as audit
from incentives.db.paging import fetch_page
from incentives.errors import Conflict, InvalidField, NotFound
from incentives.instants import Instant, sql_instant, sql_instant_of
from incentives.webhooks import events, signing
from incentives.webhooks.events import DeliveryStatus, EventType
from incentives.webhooks.shapes import Format


class WebhookNotFound(NotFound):
    """No such subscription or delivery."""


class WebhookConflict(Conflict):
    """The delivery is in no state to be replayed."""


Url = Annotated[
    str,
    msgspec.Meta(
        min_length=8,
        max_length=2000,
        description="Where deliveries are POSTed: an http or https URL",
        examples=["https://hooks.example.com/incentives"],
    ),
]
Events = Annotated[
    list[EventType],
    msgspec.Meta(min_length=1, max_length=len(EventType), description="The events to send"),
]
Description = Annotated[str, msgspec.Meta(max_length=500)]


class Subscription(msgspec.Struct, kw_only=True):
    """A subscription and how its deliveries stand."""

    id: int
    url: str
    events: list[EventType]
    format: Format
    description: str
    active: bool
    created_by: str | None
    created_at: Instant
    updated_at: Instant
    pending: int
    failed: int
    last_delivered_at: Instant | None


class CreatedSubscription(Subscription, kw_only=True):
    """A new subscription, with its signing secret: shown this once."""

    secret: str


class Attempt(msgspec.Struct):
    """One attempt to deliver: when, the receiver's status (or the error), how long."""

    attempt: int
    at: Instant
    status_code: int | None
    error: str | None
    duration_ms: int
    response: str | None


class Delivery(msgspec.Struct, kw_only=True):
    """A message owed to a subscription, and where its delivery stands."""

    id: int
    subscription: int
    message: str
    event: EventType
    occurred_at: Instant
    status: DeliveryStatus
    attempts: int
    next_attempt_at: Instant | None
    delivered_at: Instant | None
    replay_of: int | None
    last_status_code: int | None
    last_error: str | None


class DeliveryDetail(Delivery, kw_only=True):
    """A delivery with what it sends and every attempt."""

    data: dict[str, object]
    log: list[Attempt]


def checked_url(url: str) -> str:
    """``url`` if deliveries can be POSTed to it."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidField("url", "must be an http or https URL with a host")
    if parts.username or parts.password:
        raise InvalidField("url", "must not carry credentials; deliveries are signed")
    return url


def _events(chosen: Sequence[EventType]) -> list[str]:
    if EventType.PING in chosen:
        raise InvalidField("events", "webhook.ping is sent on request only (POST …/ping)")
    return sorted(set(chosen))


_SUBSCRIPTION = f"""
SELECT s.id, s.url, s.events, s.format, s.description, s.active, p.name AS created_by,
       {sql_instant("s.created_at")}, {sql_instant("s.updated_at")},
       (SELECT count(*) FROM webhook_deliveries d
        WHERE d.subscription_id = s.id AND d.status = 'pending') AS pending,
       (SELECT count(*) FROM webhook_deliveries d
        WHERE d.subscription_id = s.id AND d.status = 'failed') AS failed,
       (SELECT {sql_instant_of("max(d.delivered_at)")} FROM webhook_deliveries d
        WHERE d.subscription_id = s.id) AS last_delivered_at
FROM webhook_subscriptions s LEFT JOIN principals p ON p.id = s.created_by_id
"""


def _subscription(row: asyncpg.Record) -> Subscription:
    return msgspec.convert(dict(row), Subscription)


async def listing(conn: asyncpg.Connection) -> list[Subscription]:
    """Every subscription, oldest first."""
    return [_subscription(r) for r in await conn.fetch(_SUBSCRIPTION + " ORDER BY s.id")]


async def get(conn: asyncpg.Connection, subscription_id: int) -> Subscription:
    """One subscription."""
    row = await conn.fetchrow(_SUBSCRIPTION + " WHERE s.id = $1", subscription_id)
    if row is None:
        raise WebhookNotFound(f"no webhook {subscription_id}")
    return _subscription(row)


def _shown(subscription: Subscription) -> dict[str, object]:
    return {
        "url": subscription.url,
        "events": list(subscription.events),
        "format": subscription.format,
        "description": subscription.description,
        "active": subscription.active,
    }


async def create(
    conn: asyncpg.Connection,
    actor: audit.Actor,
    *,
    url: str,
    chosen: Sequence[EventType],
    form: Format,
    description: str,
) -> CreatedSubscription:
    """A new, active subscription with a new secret."""
    secret = signing.new_secret()
    new_id = await conn.fetchval(
        "INSERT INTO webhook_subscriptions (url, events, format, description, secret,"
        " created_by_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        checked_url(url),
        _events(chosen),
        form.value,
        description,
        secret,
        actor.principal_id,
    )
    made = await get(conn, new_id)
    await audit.record(conn, actor, "create", "webhook", key=str(new_id), after=_shown(made))
    return CreatedSubscription(**msgspec.structs.asdict(made), secret=secret)


async def update(
    conn: asyncpg.Connection,
    actor: audit.Actor,
    subscription_id: int,
    *,
    url: str | None = None,
    chosen: Sequence[EventType] | None = None,
    form: Format | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> Subscription:
    """Change what is given; pausing keeps what is owed, to be sent once resumed."""
    before = await get(conn, subscription_id)
    await conn.execute(
        "UPDATE webhook_subscriptions SET url = coalesce($2, url),"
        " events = coalesce($3, events), format = coalesce($4, format),"
        " description = coalesce($5, description), active = coalesce($6, active),"
        " updated_at = now() WHERE id = $1",
        subscription_id,
        None if url is None else checked_url(url),
        None if chosen is None else _events(chosen),
        None if form is None else form.value,
        description,
        active,
    )
    after = await get(conn, subscription_id)
    await audit.record(
        conn,
        actor,
        "update",
        "webhook",
        key=str(subscription_id),
        before=_shown(before),
        after=_shown(after),
    )
    if active and not before.active:
        await conn.execute("SELECT pg_notify($1, '')", events.CHANNEL)
    return after


async def delete(conn: asyncpg.Connection, actor: audit.Actor, subscription_id: int) -> None:
    """Remove a subscription with its deliveries and their log."""
    before = await get(conn, subscription_id)
    await conn.execute("DELETE FROM webhook_subscriptions WHERE id = $1", subscription_id)
    await audit.record(
        conn, actor, "delete", "webhook", key=str(subscription_id), before=_shown(before)
    )


async def ping(conn: asyncpg.Connection, subscription_id: int) -> DeliveryDetail:
    """Queue a test message to one subscription, sent at once."""
    subscription = await get(conn, subscription_id)
    delivery_id = await events.ping(
        conn, subscription_id, {"subscription": subscription_id, "url": subscription.url}
    )
    return await delivery(conn, delivery_id)


_DELIVERY_COLUMNS = f"""
d.id, d.subscription_id AS subscription, d.message_id AS message, m.type AS event,
{sql_instant("m.occurred_at")}, d.status, d.attempts,
CASE WHEN d.status = 'pending' THEN {sql_instant_of("d.next_attempt_at")} END
    AS next_attempt_at,
{sql_instant("d.delivered_at")}, d.replay_of,
a.status_code AS last_status_code, a.error AS last_error
"""
_DELIVERY_FROM = """
FROM webhook_deliveries d JOIN webhook_messages m ON m.id = d.message_id
LEFT JOIN LATERAL (SELECT status_code, error FROM webhook_attempts
                   WHERE delivery_id = d.id ORDER BY id DESC LIMIT 1) a ON true
"""


async def deliveries(
    conn: asyncpg.Connection,
    subscription_id: int,
    *,
    status: DeliveryStatus | None,
    limit: int,
    offset: int,
) -> tuple[list[Delivery], int]:
    """A subscription's deliveries, newest first, and how many there are in all."""
    await get(conn, subscription_id)
    rows, total = await fetch_page(
        conn,
        f"SELECT count(*) OVER () AS total, {_DELIVERY_COLUMNS} {_DELIVERY_FROM}"
        " WHERE d.subscription_id = $1 AND ($2::text IS NULL OR d.status = $2)"
        " ORDER BY d.id DESC LIMIT $3 OFFSET $4",
        subscription_id,
        status,
        limit,
        offset,
    )
    shown = [msgspec.convert(dict(r), Delivery) for r in rows]
    return shown, total


async def delivery(conn: asyncpg.Connection, delivery_id: int) -> DeliveryDetail:
    """One delivery, with its message's data and every attempt."""
    row = await conn.fetchrow(
        f"SELECT {_DELIVERY_COLUMNS}, m.data::text AS data {_DELIVERY_FROM} WHERE d.id = $1",
        delivery_id,
    )
    if row is None:
        raise WebhookNotFound(f"no webhook delivery {delivery_id}")
    attempts = await conn.fetch(
        f"SELECT attempt, {sql_instant('at')}, status_code, error, duration_ms, response"
        " FROM webhook_attempts WHERE delivery_id = $1 ORDER BY id",
        delivery_id,
    )
    fields = dict(row)
    fields["data"] = msgspec.json.decode(fields["data"])
    fields["log"] = [dict(a) for a in attempts]
    return msgspec.convert(fields, DeliveryDetail)


async def replay(conn: asyncpg.Connection, actor: audit.Actor, delivery_id: int) -> DeliveryDetail:
    """Send a delivered or failed delivery's message again, now, as a new delivery (with
    the same ``webhook-id``, so a receiver that has it can tell)."""
    row = await conn.fetchrow(
        "SELECT subscription_id, message_id, status FROM webhook_deliveries WHERE id = $1"
        " FOR UPDATE",
        delivery_id,
    )
    if row is None:
        raise WebhookNotFound(f"no webhook delivery {delivery_id}")
    if row["status"] == DeliveryStatus.PENDING:
        raise WebhookConflict(
            f"delivery {delivery_id} is still being tried; replay it once delivered or failed"
        )
    new_id = await conn.fetchval(
        "INSERT INTO webhook_deliveries (subscription_id, message_id, replay_of)"
        " VALUES ($1, $2, $3) RETURNING id",
        row["subscription_id"],
        row["message_id"],
        delivery_id,
    )
    await audit.record(
        conn, actor, "replay", "webhook_delivery", key=str(delivery_id), after={"as": new_id}
    )
    await conn.execute("SELECT pg_notify($1, '')", events.CHANNEL)
    return await delivery(conn, new_id)
