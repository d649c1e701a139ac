"""Webhooks: subscriptions, the messages owed to them, and every delivery attempt.

A message and its deliveries are written in the transaction of the change they announce
(an approval, a resolved dispute...), so a change that commits is always announced and
one rolled back never is. The sender works from ``webhook_deliveries``; each attempt is
kept in ``webhook_attempts``, which is the delivery log subscribers read.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOW = sa.text("now()")


def upgrade() -> None:
    """Create the webhook tables."""
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("format", sa.Text(), nullable=False, server_default="standard"),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        # The signing key: the sender needs it in the clear to sign each message.
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_by_id", sa.BigInteger(), sa.ForeignKey("principals.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.CheckConstraint("format IN ('standard', 'slack', 'teams')", name="format"),
        sa.CheckConstraint("cardinality(events) > 0", name="events"),
    )
    op.create_table(
        "webhook_messages",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("data", postgresql.JSONB(), nullable=False),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column(
            "subscription_id",
            sa.BigInteger(),
            sa.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("message_id", sa.Text(), sa.ForeignKey("webhook_messages.id"), nullable=False),
        sa.Column("status", sa.Text(), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        # When the sender may next take it up: the next retry, or the end of the lease of
        # the sender that has it (a sender that dies mid-attempt leaves it to the next).
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW
        ),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("replay_of", sa.BigInteger(), sa.ForeignKey("webhook_deliveries.id")),
        sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
    )
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_webhook_deliveries_subscription", "webhook_deliveries", ["subscription_id", "id"]
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column(
            "delivery_id",
            sa.BigInteger(),
            sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("status_code", sa.Integer()),
        sa.Column("error", sa.Text()),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("response", sa.Text()),
    )
    op.create_index("ix_webhook_attempts_delivery", "webhook_attempts", ["delivery_id", "id"])


def downgrade() -> None:
    """Drop the webhook tables."""
    for table in (
        "webhook_attempts",
        "webhook_deliveries",
        "webhook_messages",
        "webhook_subscriptions",
    ):
        op.drop_table(table)
