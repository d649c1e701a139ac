"""Tokens that expire, with a label: a token handed to a contractor or a script for a
season should stop working on its own, and an administrator listing a user's tokens
should tell them apart without ever seeing their secrets.

``expires_at`` stays empty for a token that never expires, as every token made before
did. An index on the principal is there already, for listing a user's tokens.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the label and the expiry."""
    op.add_column("api_tokens", sa.Column("label", sa.String(200)))
    op.add_column("api_tokens", sa.Column("expires_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    """Drop them: every token then lasts until revoked."""
    op.drop_column("api_tokens", "expires_at")
    op.drop_column("api_tokens", "label")
