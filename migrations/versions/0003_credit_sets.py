"""Credits stored as one row of arrays per participant, plan and period.

A year of 5 million deals credits 15 million (deal, person, path) rows, most of them
rollups to managers and directors. As a row each, writing them dominated a full run: every
row paid for a tuple header, a six-column primary key entry and its WAL. Stored as parallel
arrays per participant-period they are one row per result (as many as
``participant_results``), written without per-credit index maintenance and still read as
rows through the ``credit_rows`` view.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One credit per array position. ``sources`` codes index ('owner', 'split', 'rollup');
# ``via_ids`` is the directly credited person a rollup comes through (0: direct); ``shares``
# millionths of the deal; ``payout_minor`` the deal's amount in minor units of the plan's
# currency (``minor_places`` decimals), so a credit's amount is payout * share, exactly.
_VIEW = """
CREATE VIEW credit_rows AS
SELECT c.participant_id, c.plan_key, c.period, u.deal_id,
       (ARRAY['owner', 'split', 'rollup'])[u.source + 1] AS source,
       u.via_id,
       round(u.share::numeric / 1000000, 6) AS share,
       round(u.payout_minor::numeric * u.share / (1000000 * 10::numeric ^ c.minor_places),
             6 + c.minor_places) AS amount,
       c.run_id
FROM credits c,
     unnest(c.deal_ids, c.sources, c.via_ids, c.shares, c.payout_minor)
         AS u(deal_id, source, via_id, share, payout_minor)
"""


# Large arrays are TOASTed, and PostgreSQL's default pglz compression made up most of a
# full run's writing time (55 s against 10 s with lz4 for 26 M credits, measured). lz4 is
# used where the server has it; otherwise the arrays are stored uncompressed, which is
# still three times faster to write than pglz.
_COMPRESSION = """
DO $$
DECLARE
    col text;
BEGIN
    FOREACH col IN ARRAY ARRAY['deal_ids', 'sources', 'via_ids', 'shares', 'payout_minor'] LOOP
        BEGIN
            EXECUTE format('ALTER TABLE credits ALTER COLUMN %I SET COMPRESSION lz4', col);
        EXCEPTION WHEN feature_not_supported THEN
            EXECUTE format('ALTER TABLE credits ALTER COLUMN %I SET STORAGE EXTERNAL', col);
        END;
    END LOOP;
END
$$
"""


def upgrade() -> None:
    op.drop_table("credits")
    op.create_table(
        "credits",
        sa.Column("participant_id", sa.BigInteger(), nullable=False),
        sa.Column("plan_key", sa.String(length=200), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("minor_places", sa.SmallInteger(), nullable=False),
        sa.Column("deal_ids", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("sources", postgresql.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column("via_ids", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("shares", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("payout_minor", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.CheckConstraint(
            "cardinality(deal_ids) = cardinality(sources)"
            " AND cardinality(deal_ids) = cardinality(via_ids)"
            " AND cardinality(deal_ids) = cardinality(shares)"
            " AND cardinality(deal_ids) = cardinality(payout_minor)",
            name=op.f("ck_credits_parallel"),
        ),
        sa.PrimaryKeyConstraint("participant_id", "plan_key", "period", name=op.f("pk_credits")),
    )
    op.execute(_COMPRESSION)
    op.execute(_VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW credit_rows")
    op.drop_table("credits")
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
