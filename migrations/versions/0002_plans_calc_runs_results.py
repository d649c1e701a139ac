"""Plan versions and assignments, quotas, FX rates, calculation runs and their results.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A published plan version is never edited: the database refuses it, not only the code.
_IMMUTABLE = (
    """
CREATE FUNCTION plan_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'published plan versions are immutable (% refused); publish a new version',
        TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$
""",
    """
CREATE TRIGGER plan_versions_immutable BEFORE UPDATE OR DELETE ON plan_versions
    FOR EACH ROW EXECUTE FUNCTION plan_versions_immutable()
""",
)


def upgrade() -> None:
    op.create_table(
        "calc_runs",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=300), nullable=False),
        sa.Column("scope", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "plan_versions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("input_watermark", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=10), server_default="running", nullable=False),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "counts",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed')", name=op.f("ck_calc_runs_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calc_runs")),
    )
    op.create_index(op.f("ix_calc_runs_started_at"), "calc_runs", ["started_at"], unique=False)
    op.create_table(
        "fx_rates",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("to_currency", sa.String(length=3), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("rate", sa.Numeric(precision=24, scale=12), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("rate > 0", name=op.f("ck_fx_rates_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fx_rates")),
        sa.UniqueConstraint(
            "currency",
            "to_currency",
            "on_date",
            name=op.f("uq_fx_rates_currency_to_currency_on_date"),
        ),
    )
    op.create_table(
        "earning_lines",
        sa.Column("participant_id", sa.BigInteger(), nullable=False),
        sa.Column("plan_key", sa.String(length=200), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("line_no", sa.SmallInteger(), nullable=False),
        sa.Column("component", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("trace", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_earning_lines_participant_id_participants"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["calc_runs.id"], name=op.f("fk_earning_lines_run_id_calc_runs")
        ),
        sa.PrimaryKeyConstraint(
            "participant_id", "plan_key", "period", "line_no", name=op.f("pk_earning_lines")
        ),
    )
    op.create_table(
        "plan_assignments",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("subject", sa.String(length=220), nullable=False),
        sa.Column("participant_id", sa.BigInteger(), nullable=True),
        sa.Column("team_id", sa.BigInteger(), nullable=True),
        sa.Column("plan_key", sa.String(length=200), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("target_incentive_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(participant_id IS NULL) <> (team_id IS NULL)",
            name=op.f("ck_plan_assignments_one_subject"),
        ),
        sa.CheckConstraint("target_incentive_minor >= 0", name=op.f("ck_plan_assignments_target")),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to >= valid_from",
            name=op.f("ck_plan_assignments_valid_range"),
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_plan_assignments_participant_id_participants"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_plan_assignments_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_assignments")),
        sa.UniqueConstraint(
            "subject",
            "plan_key",
            "valid_from",
            name=op.f("uq_plan_assignments_subject_plan_key_valid_from"),
        ),
    )
    op.create_index(
        op.f("ix_plan_assignments_participant_id"),
        "plan_assignments",
        ["participant_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_plan_assignments_plan_key"), "plan_assignments", ["plan_key"], unique=False
    )
    op.create_index(
        op.f("ix_plan_assignments_team_id"), "plan_assignments", ["team_id"], unique=False
    )
    op.create_table(
        "quotas",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("participant_id", sa.BigInteger(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("measure", sa.String(length=100), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_quotas_amount")),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_quotas_participant_id_participants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotas")),
        sa.UniqueConstraint(
            "participant_id",
            "period",
            "measure",
            name=op.f("uq_quotas_participant_id_period_measure"),
        ),
    )
    op.create_table(
        "credits",
        sa.Column("participant_id", sa.BigInteger(), nullable=False),
        sa.Column("plan_key", sa.String(length=200), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("deal_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("via_id", sa.BigInteger(), nullable=False),
        sa.Column("share", sa.Numeric(), nullable=False),
        sa.Column("amount", sa.Numeric(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "participant_id",
            "plan_key",
            "period",
            "deal_id",
            "source",
            "via_id",
            name=op.f("pk_credits"),
        ),
    )
    op.create_table(
        "plan_versions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_format", sa.String(length=10), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=False),
        sa.Column("published_by_id", sa.BigInteger(), nullable=True),
        sa.Column("published_by", sa.String(length=300), nullable=False),
        sa.Column(
            "published_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["principals.id"],
            name=op.f("fk_plan_versions_published_by_id_principals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_versions")),
        sa.UniqueConstraint("key", "version", name=op.f("uq_plan_versions_key_version")),
    )
    op.create_index(
        op.f("ix_plan_versions_key_content_hash"),
        "plan_versions",
        ["key", "content_hash"],
        unique=False,
    )
    op.create_table(
        "participant_results",
        sa.Column("participant_id", sa.BigInteger(), nullable=False),
        sa.Column("plan_key", sa.String(length=200), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("plan_version_id", sa.BigInteger(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("measures", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "notes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_participant_results_participant_id_participants"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_versions.id"],
            name=op.f("fk_participant_results_plan_version_id_plan_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["calc_runs.id"], name=op.f("fk_participant_results_run_id_calc_runs")
        ),
        sa.PrimaryKeyConstraint(
            "participant_id", "plan_key", "period", name=op.f("pk_participant_results")
        ),
    )

    for statement in _IMMUTABLE:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER plan_versions_immutable ON plan_versions")
    op.execute("DROP FUNCTION plan_versions_immutable()")
    op.drop_table("participant_results")
    op.drop_index(op.f("ix_plan_versions_key_content_hash"), table_name="plan_versions")
    op.drop_table("plan_versions")
    op.drop_table("credits")
    op.drop_table("quotas")
    op.drop_index(op.f("ix_plan_assignments_team_id"), table_name="plan_assignments")
    op.drop_index(op.f("ix_plan_assignments_plan_key"), table_name="plan_assignments")
    op.drop_index(op.f("ix_plan_assignments_participant_id"), table_name="plan_assignments")
    op.drop_table("plan_assignments")
    op.drop_table("earning_lines")
    op.drop_table("fx_rates")
    op.drop_index(op.f("ix_calc_runs_started_at"), table_name="calc_runs")
    op.drop_table("calc_runs")
