"""Webhook subscriptions, the messages owed to them, and every delivery attempt.

The vocabularies in the checks are ``incentives.webhooks``' ``Format`` and
``DeliveryStatus``, spelled out here because that package imports this one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Text,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from incentives.db.models.base import Base, now_column


class WebhookSubscription(Base):
    """A receiver's URL, the events it wants and the shape it understands."""

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (
        CheckConstraint("format IN ('standard', 'slack', 'teams')", name="format"),
        CheckConstraint("cardinality(events) > 0", name="events"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(ARRAY(Text))
    format: Mapped[str] = mapped_column(Text, server_default="standard")
    description: Mapped[str] = mapped_column(Text, server_default="")
    # The signing key: the sender needs it in the clear to sign each message.
    secret: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("principals.id"))
    created_at: Mapped[dt.datetime] = now_column()
    updated_at: Mapped[dt.datetime] = now_column()


class WebhookMessage(Base):
    """One announcement, written in the transaction of the change it announces."""

    __tablename__ = "webhook_messages"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    type: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[dt.datetime] = now_column()
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)


class WebhookDelivery(Base):
    """A message owed to one subscription: what the sender works from."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_webhook_deliveries_subscription", "subscription_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    message_id: Mapped[str] = mapped_column(ForeignKey("webhook_messages.id"))
    status: Mapped[str] = mapped_column(Text, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    # When the sender may next take it up: the next retry, or the end of the lease of the
    # sender that has it (a sender that dies mid-attempt leaves it to the next).
    next_attempt_at: Mapped[dt.datetime] = now_column()
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = now_column()
    replay_of: Mapped[int | None] = mapped_column(ForeignKey("webhook_deliveries.id"))


class WebhookAttempt(Base):
    """One try at a delivery: the delivery log subscribers read."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = now_column()
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)
    response: Mapped[str | None] = mapped_column(Text)
