"""The display role: a principal for an office screen, which reads boards and no pay.

Roles are a check constraint on ``principals.role``, so the new one needs the
constraint widened (and narrowed again on the way down).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = ("rep", "manager", "finance", "admin", "integration")
_AFTER = (*_BEFORE, "display")


def _check(roles: tuple[str, ...]) -> None:
    op.drop_constraint(op.f("ck_principals_role"), "principals", type_="check")
    op.create_check_constraint(
        op.f("ck_principals_role"),
        "principals",
        f"role IN ({', '.join(repr(r) for r in roles)})",
    )


def upgrade() -> None:
    """Allow the display role."""
    _check(_AFTER)


def downgrade() -> None:
    """Remove the display role. Its principals stay (the audit log names them) but are
    disabled, their tokens revoked, under a role that reads no pay either."""
    op.execute(
        "UPDATE api_tokens SET revoked_at = now() WHERE revoked_at IS NULL AND principal_id IN"
        " (SELECT id FROM principals WHERE role = 'display')"
    )
    op.execute(
        "UPDATE principals SET role = 'integration', disabled_at = coalesce(disabled_at, now())"
        " WHERE role = 'display'"
    )
    _check(_BEFORE)
