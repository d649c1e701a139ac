"""Finance's approval of contests with a large cash prize.

A contest made by a manager with a cash prize above the approval threshold
(``INCENTIVES_CONTEST_APPROVAL_ABOVE``) waits for finance before it goes live and can pay
anything: money a manager promises on the company's behalf needs a second pair of eyes.
A row here means the contest needs that approval; ``approved_at`` says it was given. An
edit of the definition asks again (the row is written anew).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOW = sa.text("now()")


def upgrade() -> None:
    """Create the approvals table."""
    op.create_table(
        "contest_approvals",
        sa.Column(
            "contest_id",
            sa.BigInteger(),
            sa.ForeignKey("contests.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        # The largest cash prize of the definition asked about, in its currency.
        sa.Column("largest_cash_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
        sa.Column("approved_by_id", sa.BigInteger(), sa.ForeignKey("principals.id")),
        sa.Column("approved_by", sa.Text()),
        sa.Column("approved_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("largest_cash_minor > 0", name="largest_cash"),
        sa.CheckConstraint(
            "(approved_at IS NULL) = (approved_by IS NULL)", name="approved_by_whom"
        ),
    )


def downgrade() -> None:
    """Drop the approvals table."""
    op.drop_table("contest_approvals")
