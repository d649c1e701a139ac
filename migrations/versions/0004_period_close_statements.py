"""Period close: statements and their lines, scheduled job runs, and what a close freezes.

A closed period never changes, and the database itself refuses it, not only the code:
results, earning lines and credits of a closed period can be neither written nor removed,
a closed period's row stays as it is, statement lines are never edited or removed, and a
statement keeps its participant, period, currency and total (only workflow columns move).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Results tables are written in bulk (COPY, set-wise DELETE): a statement-level trigger with
# transition tables checks a whole write with one join instead of one lookup per row.
# Transition tables allow one event per trigger, hence three triggers per table.
_RESULTS_TABLES = ("participant_results", "earning_lines", "credits")

_CLOSED_ROWS_FUNCTION = """
CREATE FUNCTION closed_period_rows_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    closed text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT p.label INTO closed FROM old_rows o JOIN periods p ON p.label = o.period
            WHERE p.status = 'closed' LIMIT 1;
    END IF;
    IF closed IS NULL AND TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT p.label INTO closed FROM new_rows n JOIN periods p ON p.label = n.period
            WHERE p.status = 'closed' LIMIT 1;
    END IF;
    IF closed IS NOT NULL THEN
        RAISE EXCEPTION 'period % is closed: its % never change (% refused); a late change'
            ' is paid as an adjustment in the open period', closed, TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END
$$
"""

_TRANSITIONS = {
    "insert": "REFERENCING NEW TABLE AS new_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "REFERENCING OLD TABLE AS old_rows",
}

_STATEMENT_GUARDS = (
    """
CREATE FUNCTION statement_lines_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'statement lines are frozen (% refused); a correction is an adjustment'
        ' on a later statement', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$
""",
    """
CREATE TRIGGER statement_lines_frozen BEFORE UPDATE OR DELETE ON statement_lines
    FOR EACH ROW EXECUTE FUNCTION statement_lines_frozen()
""",
    """
CREATE FUNCTION statements_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'statements are never deleted (statement % refused)', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.participant_id IS DISTINCT FROM OLD.participant_id
        OR NEW.period IS DISTINCT FROM OLD.period
        OR NEW.currency IS DISTINCT FROM OLD.currency
        OR NEW.total_minor IS DISTINCT FROM OLD.total_minor THEN
        RAISE EXCEPTION 'statement %: participant, period, currency and total are frozen;'
            ' only its workflow may change', OLD.id USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$
""",
    """
CREATE TRIGGER statements_frozen BEFORE UPDATE OR DELETE ON statements
    FOR EACH ROW EXECUTE FUNCTION statements_frozen()
""",
    """
CREATE FUNCTION closed_periods_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'closed' THEN
        RAISE EXCEPTION 'period % is closed and never changes (% refused)', OLD.label, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$
""",
    """
CREATE TRIGGER closed_periods_frozen BEFORE UPDATE OR DELETE ON periods
    FOR EACH ROW EXECUTE FUNCTION closed_periods_frozen()
""",
)


def _closed_rows_triggers() -> list[str]:
    return [
        f"CREATE TRIGGER {table}_closed_{event} AFTER {event.upper()} ON {table}"
        f" {transition} FOR EACH STATEMENT EXECUTE FUNCTION closed_period_rows_frozen()"
        for table in _RESULTS_TABLES
        for event, transition in _TRANSITIONS.items()
    ]


def upgrade() -> None:
    op.add_column("periods", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("periods", sa.Column("closed_by", sa.String(length=300), nullable=True))
    op.create_table(
        "statements",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("participant_id", sa.BigInteger(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="draft", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("submitted_by_id", sa.BigInteger(), nullable=True),
        sa.Column("approved_by_id", sa.BigInteger(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("exported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejected_reason", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'approved', 'paid')",
            name=op.f("ck_statements_status"),
        ),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_statements_currency_code")),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_statements_participant_id_participants"),
        ),
        sa.ForeignKeyConstraint(
            ["period"], ["periods.label"], name=op.f("fk_statements_period_periods")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["principals.id"],
            name=op.f("fk_statements_submitted_by_id_principals"),
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["principals.id"],
            name=op.f("fk_statements_approved_by_id_principals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statements")),
        sa.UniqueConstraint(
            "participant_id",
            "period",
            "currency",
            name=op.f("uq_statements_participant_id_period_currency"),
        ),
    )
    op.create_index(op.f("ix_statements_period"), "statements", ["period"], unique=False)
    op.create_table(
        "statement_lines",
        sa.Column("statement_id", sa.BigInteger(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("plan_key", sa.String(length=200), nullable=True),
        sa.Column("component", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("trace", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.CheckConstraint(
            "kind IN ('earning', 'adjustment', 'draw', 'recovery', 'clawback', 'spiff')",
            name=op.f("ck_statement_lines_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_statement_lines_statement_id_statements"),
        ),
        sa.PrimaryKeyConstraint("statement_id", "line_no", name=op.f("pk_statement_lines")),
    )
    op.create_table(
        "job_runs",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("job", sa.String(length=100), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="running", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="1", nullable=False),
        sa.Column("runner", sa.String(length=200), nullable=False),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "detail",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed')", name=op.f("ck_job_runs_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("job", "scheduled_for", name=op.f("uq_job_runs_job_scheduled_for")),
    )
    op.execute(_CLOSED_ROWS_FUNCTION)
    for statement in (*_closed_rows_triggers(), *_STATEMENT_GUARDS):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER closed_periods_frozen ON periods")
    op.execute("DROP FUNCTION closed_periods_frozen()")
    for table in _RESULTS_TABLES:
        for event in _TRANSITIONS:
            op.execute(f"DROP TRIGGER {table}_closed_{event} ON {table}")
    op.execute("DROP FUNCTION closed_period_rows_frozen()")
    op.drop_table("job_runs")
    op.drop_table("statement_lines")  # its trigger goes with it
    op.execute("DROP FUNCTION statement_lines_frozen()")
    op.drop_index(op.f("ix_statements_period"), table_name="statements")
    op.drop_table("statements")
    op.execute("DROP FUNCTION statements_frozen()")
    op.drop_column("periods", "closed_by")
    op.drop_column("periods", "closed_at")
