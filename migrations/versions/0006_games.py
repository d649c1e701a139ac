"""Games: contests with maintained standings, awards (points and badges), cash prizes.

Standings are kept per contest and updated as deals and activities arrive, so that a
leaderboard is a read of a few rows, never a sum over raw deals. Awards are recorded once
per (source, rule or contest, participant, occasion); revoking keeps the row. Cash prizes
wait in ``prize_payouts`` for the statement of the period they land in.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(
    column: str, table: str, target: str, ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    name = f"fk_{table}_{column}_{target.split('.')[0]}"
    return sa.ForeignKeyConstraint([column], [target], name=op.f(name), ondelete=ondelete)


def _at(name: str, *, now: bool = False) -> sa.Column[Any]:
    if now:
        return sa.Column(
            name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        )
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def upgrade() -> None:
    op.create_table(
        "contests",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="draft", nullable=False),
        sa.Column("visibility", sa.String(length=10), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("definition", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("plan_version_id", sa.BigInteger(), nullable=True),
        sa.Column("created_by_id", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.String(length=300), nullable=False),
        sa.Column("revision", sa.Integer(), server_default="1", nullable=False),
        _at("created_at", now=True),
        _at("updated_at", now=True),
        _at("live_at"),
        _at("frozen_at"),
        _at("awarded_at"),
        _at("cancelled_at"),
        sa.Column("ranks_day", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'scheduled', 'live', 'ended', 'awarded', 'cancelled')",
            name=op.f("ck_contests_status"),
        ),
        sa.CheckConstraint("visibility IN ('public', 'test')", name=op.f("ck_contests_visibility")),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_contests_window")),
        _fk("plan_version_id", "contests", "plan_versions.id"),
        _fk("created_by_id", "contests", "principals.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contests")),
        sa.UniqueConstraint("key", name=op.f("uq_contests_key")),
    )
    op.create_index(op.f("ix_contests_status"), "contests", ["status"])
    op.create_table(
        "contest_entries",
        sa.Column("contest_id", sa.BigInteger(), nullable=False),
        sa.Column("participant_id", sa.BigInteger(), nullable=False),
        sa.Column("team_id", sa.BigInteger(), nullable=True),
        sa.Column("score", sa.Numeric(), server_default="0", nullable=False),
        sa.Column("target", sa.Numeric(), nullable=True),
        _at("reached_at"),
        _fk("contest_id", "contest_entries", "contests.id", ondelete="CASCADE"),
        _fk("participant_id", "contest_entries", "participants.id"),
        _fk("team_id", "contest_entries", "teams.id"),
        sa.PrimaryKeyConstraint("contest_id", "participant_id", name=op.f("pk_contest_entries")),
    )
    op.create_index(
        op.f("ix_contest_entries_contest_id_team_id"), "contest_entries", ["contest_id", "team_id"]
    )
    op.create_index(
        op.f("ix_contest_entries_participant_id"), "contest_entries", ["participant_id"]
    )
    op.create_table(
        "contest_standings",
        sa.Column("contest_id", sa.BigInteger(), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("score", sa.Numeric(), nullable=False),
        sa.Column("target", sa.Numeric(), nullable=True),
        sa.Column("value", sa.Numeric(), nullable=True),
        _at("reached_at"),
        sa.Column("members", sa.Integer(), server_default="1", nullable=False),
        sa.Column("day_rank", sa.Integer(), nullable=True),
        sa.Column("final_rank", sa.Integer(), nullable=True),
        _fk("contest_id", "contest_standings", "contests.id", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("contest_id", "subject_id", name=op.f("pk_contest_standings")),
    )
    op.create_table(
        "awards",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("participant_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_key", sa.String(length=200), nullable=False),
        sa.Column("occasion", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("points", sa.Integer(), server_default="0", nullable=False),
        sa.Column("badge", sa.String(length=200), nullable=True),
        sa.Column(
            "detail",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        _at("awarded_at", now=True),
        _at("revoked_at"),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("source IN ('contest', 'achievement')", name=op.f("ck_awards_source")),
        sa.CheckConstraint("points >= 0", name=op.f("ck_awards_points")),
        _fk("participant_id", "awards", "participants.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_awards")),
        sa.UniqueConstraint(
            "source",
            "source_key",
            "participant_id",
            "occasion",
            name=op.f("uq_awards_source_source_key_participant_id_occasion"),
        ),
    )
    op.create_index(op.f("ix_awards_participant_id"), "awards", ["participant_id"])
    op.create_table(
        "prize_payouts",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("contest_id", sa.BigInteger(), nullable=False),
        sa.Column("participant_id", sa.BigInteger(), nullable=False),
        sa.Column("prize_no", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("statement_id", sa.BigInteger(), nullable=True),
        _at("created_at", now=True),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_prize_payouts_amount")),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_prize_payouts_currency_code")),
        _fk("contest_id", "prize_payouts", "contests.id"),
        _fk("participant_id", "prize_payouts", "participants.id"),
        _fk("period", "prize_payouts", "periods.label"),
        _fk("statement_id", "prize_payouts", "statements.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prize_payouts")),
        sa.UniqueConstraint(
            "contest_id",
            "participant_id",
            "prize_no",
            name=op.f("uq_prize_payouts_contest_id_participant_id_prize_no"),
        ),
    )
    op.create_index(
        op.f("ix_prize_payouts_period_participant_id"),
        "prize_payouts",
        ["period", "participant_id"],
    )


def downgrade() -> None:
    op.drop_table("prize_payouts")
    op.drop_table("awards")
    op.drop_table("contest_standings")
    op.drop_table("contest_entries")
    op.drop_table("contests")
