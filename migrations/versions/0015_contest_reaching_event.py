"""The event with which a contest's score was reached, for a tie-break that never shares.

Ties under ``first_to_reach`` were broken by the time a score was reached alone, and the
deals of one batch arrive at one time, so two people could share first place. Entries
and standings now keep the external id of the event that reached the score (the last
that counts), which orders equal times; the subject's own external id orders the rest.
Rows kept before the upgrade have none (ordered first among equal times) until their
score next moves.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("contest_entries", "contest_standings")


def upgrade() -> None:
    """Add the column to entries and standings."""
    for table in _TABLES:
        op.add_column(table, sa.Column("reaching_event", sa.Text()))


def downgrade() -> None:
    """Drop it."""
    for table in _TABLES:
        op.drop_column(table, "reaching_event")
