"""Trace kinds of their own for manual adjustments and contest prizes on statements.

A trace's ``kind`` names how its line was computed, and the API tells each kind's shape
apart by it. Manual adjustments were traced as ``adjustment``, the kind of a recomputed
closed period, and contest prizes as ``spiff``, the kind of a plan's per-deal SPIFF:
one kind, two shapes. They become ``manual_adjustment`` and ``contest_prize``. Only the
trace's kind changes; the lines' kind, amounts and every other field stay as frozen, so
the lines' guard is lifted for this one update alone.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (a trace kind before, after, and a field that only such a line's trace has)
_RENAMED = (
    ("adjustment", "manual_adjustment", "manual_adjustment"),
    ("spiff", "contest_prize", "prize_payout"),
)


def _retag(renames: Iterable[tuple[str, str, str]]) -> None:
    op.execute("ALTER TABLE statement_lines DISABLE TRIGGER statement_lines_frozen")
    for old, new, marker in renames:
        op.execute(
            "UPDATE statement_lines SET trace = jsonb_set(trace, '{kind}', to_jsonb("
            f"'{new}'::text)) WHERE trace->>'kind' = '{old}' AND trace ? '{marker}'"
        )
    op.execute("ALTER TABLE statement_lines ENABLE TRIGGER statement_lines_frozen")


def upgrade() -> None:
    """Give manual adjustments' and contest prizes' traces their own kinds."""
    _retag(_RENAMED)


def downgrade() -> None:
    """Trace them as adjustments and SPIFFs again."""
    _retag((new, old, marker) for old, new, marker in _RENAMED)
