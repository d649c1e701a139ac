"""Payouts: disputes on statement lines, manual adjustments, idempotency keys.

A dispute accepted with an adjustment never changes the disputed statement: the amount
becomes a manual adjustment in an open period, taken up by that period's statement.
Requests that move money may carry an ``Idempotency-Key``; the key and the response it
got are kept so a retry replays the response instead of acting twice.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _principal(column: str, table: str, *, nullable: bool = True) -> list[sa.SchemaItem]:
    return [
        sa.Column(column, sa.BigInteger(), nullable=nullable),
        sa.ForeignKeyConstraint(
            [column], ["principals.id"], name=op.f(f"fk_{table}_{column}_principals")
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "disputes",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("statement_id", sa.BigInteger(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        *_principal("opened_by_id", "disputes", nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="open", nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        *_principal("answered_by_id", "disputes"),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_reason", sa.Text(), nullable=True),
        sa.Column("adjustment_minor", sa.BigInteger(), nullable=True),
        *_principal("resolved_by_id", "disputes"),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('open', 'answered', 'accepted', 'declined')",
            name=op.f("ck_disputes_status"),
        ),
        sa.CheckConstraint("length(message) > 0", name=op.f("ck_disputes_message")),
        sa.CheckConstraint(
            "status <> 'accepted' OR (adjustment_minor IS NOT NULL AND adjustment_minor <> 0)",
            name=op.f("ck_disputes_accepted_adjustment"),
        ),
        sa.CheckConstraint(
            "status <> 'declined' OR resolution_reason IS NOT NULL",
            name=op.f("ck_disputes_declined"),
        ),
        sa.CheckConstraint(
            "(status IN ('accepted', 'declined')) = (resolved_at IS NOT NULL)",
            name=op.f("ck_disputes_resolved"),
        ),
        sa.ForeignKeyConstraint(
            ["statement_id", "line_no"],
            ["statement_lines.statement_id", "statement_lines.line_no"],
            name=op.f("fk_disputes_statement_id_statement_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_disputes_participant_id_participants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disputes")),
    )
    op.create_index(op.f("ix_disputes_participant_id"), "disputes", ["participant_id"])
    op.create_index(op.f("ix_disputes_status"), "disputes", ["status"])
    op.create_index(
        "uq_disputes_unresolved_line",
        "disputes",
        ["statement_id", "line_no"],
        unique=True,
        postgresql_where=sa.text("status IN ('open', 'answered')"),
    )
    op.create_table(
        "manual_adjustments",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("participant_id", sa.BigInteger(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("dispute_id", sa.BigInteger(), nullable=True),
        *_principal("created_by_id", "manual_adjustments"),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("statement_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("amount_minor <> 0", name=op.f("ck_manual_adjustments_amount")),
        sa.CheckConstraint(
            "currency ~ '^[A-Z]{3}$'", name=op.f("ck_manual_adjustments_currency_code")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_manual_adjustments_participant_id_participants"),
        ),
        sa.ForeignKeyConstraint(
            ["period"], ["periods.label"], name=op.f("fk_manual_adjustments_period_periods")
        ),
        sa.ForeignKeyConstraint(
            ["dispute_id"], ["disputes.id"], name=op.f("fk_manual_adjustments_dispute_id_disputes")
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_manual_adjustments_statement_id_statements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manual_adjustments")),
        sa.UniqueConstraint("dispute_id", name=op.f("uq_manual_adjustments_dispute_id")),
    )
    op.create_index(
        op.f("ix_manual_adjustments_period_participant_id"),
        "manual_adjustments",
        ["period", "participant_id"],
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        *_principal("principal_id", "idempotency_keys", nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("response_status", sa.SmallInteger(), nullable=True),
        sa.Column("response_body", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint(
            "principal_id", "key", name=op.f("uq_idempotency_keys_principal_id_key")
        ),
    )
    op.create_index(op.f("ix_audit_log_entity_entity_key"), "audit_log", ["entity", "entity_key"])


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_log_entity_entity_key"), table_name="audit_log")
    op.drop_table("idempotency_keys")
    op.drop_table("manual_adjustments")
    op.drop_table("disputes")
