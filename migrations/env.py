"""Alembic environment. The caller hands over an open connection (see incentives.db.migrate)."""

from __future__ import annotations

from alembic import context

from incentives.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `incentives migrate`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    compare_type=True,
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
