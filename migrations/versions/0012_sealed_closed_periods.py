"""Seal what a closed period paid: its statements, their lines and the deals behind them.

The guards of 0004 froze a closed period's results and kept statement lines from being
edited, but the database still accepted a new line on a closed statement (its lines then
no longer added up to its total), a new statement in a closed period, and deleting a deal,
with its history, that a closed period paid for. Statements and their lines are only
ever written by the close itself, while the period is ``closing``; a deal a closed period
credited is part of what it paid. Each is now refused by a trigger.

Every such refusal, the earlier guards' included, now raises one SQLSTATE of its own
(``IC001``, ``db/faults.py``), so that the application can tell "this is final" (409)
from a privilege the database role lacks (which they used to share).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEALED = "IC001"
_EARLIER_CODE = "insufficient_privilege"

# The guards of earlier migrations, moved to the sealed SQLSTATE.
_EARLIER_GUARDS = (
    "audit_log_append_only",
    "plan_versions_immutable",
    "closed_period_rows_frozen",
    "statement_lines_frozen",
    "statements_frozen",
    "closed_periods_frozen",
)

# Writes come in bulk (INSERT … SELECT at a close): statement-level triggers over
# transition tables check a whole write with one join, as 0004's results guards do.
_NEW_STATEMENTS = f"""
CREATE FUNCTION closed_period_statements_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    closed text;
BEGIN
    SELECT p.label INTO closed FROM new_rows n JOIN periods p ON p.label = n.period
        WHERE p.status = 'closed' LIMIT 1;
    IF closed IS NOT NULL THEN
        RAISE EXCEPTION 'period % is closed: no new statement in it; a late change is paid'
            ' as an adjustment in the open period', closed USING ERRCODE = '{SEALED}';
    END IF;
    RETURN NULL;
END
$$
"""

_NEW_LINES = f"""
CREATE FUNCTION closed_statement_lines_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sealed record;
BEGIN
    SELECT s.id, s.period INTO sealed FROM new_rows n
        JOIN statements s ON s.id = n.statement_id
        JOIN periods p ON p.label = s.period
        WHERE p.status = 'closed' LIMIT 1;
    IF sealed.id IS NOT NULL THEN
        RAISE EXCEPTION 'statement % of closed period % takes no new line; a correction is'
            ' an adjustment on a later statement', sealed.id, sealed.period
            USING ERRCODE = '{SEALED}';
    END IF;
    RETURN NULL;
END
$$
"""


def _paid_deals_function(table: str, column: str) -> str:
    """Refuse deleting rows of ``table`` whose deal (``column``) a closed period credited:
    one pass over the closed periods' credit arrays for the whole deletion."""
    return f"""
CREATE FUNCTION {table}_paid_sealed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    paid record;
BEGIN
    WITH gone AS (SELECT array_agg(DISTINCT o.{column}) AS ids FROM old_rows o)
    SELECT c.period, (SELECT min(d) FROM unnest(c.deal_ids) d WHERE d = ANY(gone.ids)) AS deal
        INTO paid
        FROM credits c JOIN periods p ON p.label = c.period AND p.status = 'closed', gone
        WHERE c.deal_ids && gone.ids LIMIT 1;
    IF paid.deal IS NOT NULL THEN
        RAISE EXCEPTION 'deal % was paid for by closed period %: neither it nor its history'
            ' may be deleted (% on % refused)', paid.deal, paid.period, TG_OP, TG_TABLE_NAME
            USING ERRCODE = '{SEALED}';
    END IF;
    RETURN NULL;
END
$$
"""


# (trigger and function name, table, event, transition, function definition)
_GUARDS = (
    ("closed_period_statements_sealed", "statements", "INSERT", "NEW", _NEW_STATEMENTS),
    ("closed_statement_lines_sealed", "statement_lines", "INSERT", "NEW", _NEW_LINES),
    ("deals_paid_sealed", "deals", "DELETE", "OLD", _paid_deals_function("deals", "id")),
    (
        "deal_history_paid_sealed",
        "deal_history",
        "DELETE",
        "OLD",
        _paid_deals_function("deal_history", "deal_id"),
    ),
)


def _recode(before: str, after: str) -> None:
    """Re-create the earlier guards with ``after`` as their SQLSTATE instead of ``before``."""
    bind = op.get_bind()
    for name in _EARLIER_GUARDS:
        definition = bind.execute(
            text("SELECT pg_get_functiondef(CAST(:name AS regproc))"), {"name": name}
        ).scalar_one()
        recoded = definition.replace(f"ERRCODE = '{before}'", f"ERRCODE = '{after}'")
        assert recoded != definition, f"{name} raises no {before}"
        op.execute(recoded)


def upgrade() -> None:
    _recode(_EARLIER_CODE, SEALED)
    for name, table, event, transition, function in _GUARDS:
        op.execute(function)
        rows = "new_rows" if transition == "NEW" else "old_rows"
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table}"
            f" REFERENCING {transition} TABLE AS {rows}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )


def downgrade() -> None:
    for name, table, *_ in reversed(_GUARDS):
        op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute(f"DROP FUNCTION {name}()")
    _recode(SEALED, _EARLIER_CODE)
