"""Pending recomputes: what an ingest changed, kept until its pay has been recomputed.

Written in the ingest's transaction and removed once the background recompute it set off
has finished, so a recompute lost to a crash or a failure is found and made again (and
the age of the oldest one is a measure of how stale pay may be).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the table."""
    op.create_table(
        "pending_recomputes",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        # Until when the process that wrote it has it; after that anyone may take it up.
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("touched", postgresql.JSONB(), nullable=False),
    )


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("pending_recomputes")
