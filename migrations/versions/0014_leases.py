"""Leases on calculation runs and scheduled job slots, and the ``abandoned`` status.

A run or a job slot was marked ``running`` and then finished by the process doing it; a
process killed in between left it ``running`` for good, and a job slot left so was never
run again. Each row now carries ``lease_until``, pushed forward by its owner's heartbeat
while it works; a ``running`` row whose lease has run out belongs to a process that is
gone, and is marked ``abandoned`` by whichever process notices (a job slot is then taken
up again). Rows ``running`` at the upgrade were started by a version without heartbeats:
their lease is taken to end now, so they are marked at once rather than kept for ever.
A partial index per table keeps the sweep for expired leases to the running rows.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("calc_runs", "job_runs")
_BEFORE = ("running", "succeeded", "failed")
_AFTER = (*_BEFORE, "abandoned")


def _statuses(table: str, allowed: tuple[str, ...]) -> None:
    op.drop_constraint(op.f(f"ck_{table}_status"), table, type_="check")
    op.create_check_constraint(
        op.f(f"ck_{table}_status"), table, f"status IN ({', '.join(repr(s) for s in allowed)})"
    )


def upgrade() -> None:
    """Add the lease column, its index and the status."""
    for table in _TABLES:
        op.add_column(
            table,
            sa.Column(
                "lease_until",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.text("now()"),
            ),
        )
        _statuses(table, _AFTER)
        op.create_index(
            op.f(f"ix_{table}_running_lease"),
            table,
            ["lease_until"],
            postgresql_where=sa.text("status = 'running'"),
        )


def downgrade() -> None:
    """Drop them; abandoned rows become failed, the status they would have had."""
    for table in _TABLES:
        op.drop_index(op.f(f"ix_{table}_running_lease"), table)
        op.execute(f"UPDATE {table} SET status = 'failed' WHERE status = 'abandoned'")
        _statuses(table, _BEFORE)
        op.drop_column(table, "lease_until")
