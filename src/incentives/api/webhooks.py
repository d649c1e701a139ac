"""Webhook subscriptions, their delivery log and replays (finance and admin).

A subscription names a URL, the events it wants and the shape it takes (Standard Webhooks,
Slack or Teams); messages are signed with its secret, which the answer that creates it
shows once. See docs/webhooks.md.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Litestar, Request, Response, Router, delete, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter

from incentives.api.contract import problems
from incentives.api.deps import Id
from incentives.api.paging import PAGE_HEADERS, Limit, Offset, paged
from incentives.api.plans import FINANCE
from incentives.auth.principals import Principal
from incentives.db.connection import driver_transaction
from incentives.webhooks import sender, subscriptions
from incentives.webhooks.events import DeliveryStatus
from incentives.webhooks.shapes import Format
from incentives.webhooks.subscriptions import (
    CreatedSubscription,
    Delivery,
    DeliveryDetail,
    Description,
    Events,
    Subscription,
    Url,
)


class NewSubscription(msgspec.Struct, forbid_unknown_fields=True):
    """Where to send which events, and in what shape."""

    url: Url
    events: Events
    format: Format = Format.STANDARD
    description: Description = ""


class SubscriptionChange(msgspec.Struct, forbid_unknown_fields=True):
    """What to change; what is left out stays. ``active: false`` pauses deliveries
    (what is owed meanwhile is kept and sent once resumed)."""

    url: Url | None = None
    events: Events | None = None
    format: Format | None = None
    description: Description | None = None
    active: bool | None = None


@post("/webhooks", status_code=201, responses=problems(422), guards=[FINANCE])
async def create_webhook(
    state: State, request: Request[Principal, Any, Any], data: JSONBody[NewSubscription]
) -> CreatedSubscription:
    """Subscribe a URL to events (201); the answer carries its signing secret, shown once."""
    async with driver_transaction(state.engine) as conn:
        return await subscriptions.create(
            conn,
            request.user.actor(),
            url=data.url,
            chosen=data.events,
            form=data.format,
            description=data.description,
        )


@get("/webhooks", guards=[FINANCE])
async def list_webhooks(conn: NamedDependency[asyncpg.Connection]) -> list[Subscription]:
    """Every webhook subscription, with its deliveries pending and failed."""
    return await subscriptions.listing(conn)


@get("/webhooks/{webhook_id:int}", guards=[FINANCE])
async def get_webhook(conn: NamedDependency[asyncpg.Connection], webhook_id: Id) -> Subscription:
    """One webhook subscription."""
    return await subscriptions.get(conn, webhook_id)


@patch("/webhooks/{webhook_id:int}", responses=problems(422), guards=[FINANCE])
async def change_webhook(
    state: State,
    request: Request[Principal, Any, Any],
    webhook_id: Id,
    data: JSONBody[SubscriptionChange],
) -> Subscription:
    """Change a subscription's URL, events, shape or description, or pause or resume it."""
    async with driver_transaction(state.engine) as conn:
        return await subscriptions.update(
            conn,
            request.user.actor(),
            webhook_id,
            url=data.url,
            chosen=data.events,
            form=data.format,
            description=data.description,
            active=data.active,
        )


@delete("/webhooks/{webhook_id:int}", guards=[FINANCE])
async def delete_webhook(
    state: State, request: Request[Principal, Any, Any], webhook_id: Id
) -> None:
    """Remove a subscription, what it is still owed and its delivery log (204)."""
    async with driver_transaction(state.engine) as conn:
        await subscriptions.delete(conn, request.user.actor(), webhook_id)


@post("/webhooks/{webhook_id:int}/ping", status_code=202, guards=[FINANCE])
async def ping_webhook(state: State, webhook_id: Id) -> DeliveryDetail:
    """Send a ``webhook.ping`` test message to this subscription now (202: queued)."""
    async with driver_transaction(state.engine) as conn:
        return await subscriptions.ping(conn, webhook_id)


@get("/webhooks/{webhook_id:int}/deliveries", response_headers=PAGE_HEADERS, guards=[FINANCE])
async def list_deliveries(
    conn: NamedDependency[asyncpg.Connection],
    request: Request[Principal, Any, Any],
    webhook_id: Id,
    status: Annotated[
        DeliveryStatus | None, QueryParameter(description="only deliveries in this state")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response[list[Delivery]]:
    """A subscription's delivery log, newest first: each message, its attempts so far and
    the last answer."""
    found, total = await subscriptions.deliveries(
        conn, webhook_id, status=status, limit=limit, offset=offset
    )
    return paged(request, found, total, limit, offset)


@get("/webhook-deliveries/{delivery_id:int}", guards=[FINANCE])
async def get_delivery(
    conn: NamedDependency[asyncpg.Connection], delivery_id: Id
) -> DeliveryDetail:
    """One delivery: what it sends, and every attempt with the receiver's answer."""
    return await subscriptions.delivery(conn, delivery_id)


@post(
    "/webhook-deliveries/{delivery_id:int}/replay",
    status_code=202,
    responses=problems(409),
    guards=[FINANCE],
)
async def replay_delivery(
    state: State, request: Request[Principal, Any, Any], delivery_id: Id
) -> DeliveryDetail:
    """Send a delivered or failed delivery's message again, now, as a new delivery (202)."""
    async with driver_transaction(state.engine) as conn:
        return await subscriptions.replay(conn, request.user.actor(), delivery_id)


@contextlib.asynccontextmanager
async def webhook_sending(app: Litestar) -> AsyncIterator[None]:
    """App lifespan: this process sends the webhooks that are due while the app runs."""
    async with sender.sending(app.state.engine, app.state.webhook_retries):
        yield


# Guards on each handler, not the router: a router's guards also guard the OPTIONS
# answers Litestar adds, which authentication lets through without a principal.
webhooks_router = Router(
    path="/api/v1",
    route_handlers=[
        create_webhook,
        list_webhooks,
        get_webhook,
        change_webhook,
        delete_webhook,
        ping_webhook,
        list_deliveries,
        get_delivery,
        replay_delivery,
    ],
)
