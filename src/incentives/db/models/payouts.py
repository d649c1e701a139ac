"""Statements, their frozen lines, disputes on them and manual adjustments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from incentives.db.models.base import CURRENCY_CHECK, Base, now_column, one_of

STATEMENT_STATUSES = ("draft", "submitted", "approved", "paid")
STATEMENT_LINE_KINDS = ("earning", "adjustment", "draw", "recovery", "clawback", "spiff")
DISPUTE_STATUSES = ("open", "answered", "accepted", "declined")


class Statement(Base):
    """A participant's pay for a closed period in one currency: its lines are frozen.

    Created as a draft when the period closes. Workflow columns change with optimistic
    locking (``version``); triggers refuse deleting a statement or changing whose, which
    period, which currency or how much it is.
    """

    __tablename__ = "statements"
    __table_args__ = (
        UniqueConstraint("participant_id", "period", "currency"),
        CheckConstraint(one_of("status", STATEMENT_STATUSES), name="status"),
        CheckConstraint(CURRENCY_CHECK, name="currency_code"),
        Index(None, "period"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    period: Mapped[str] = mapped_column(String(20), ForeignKey("periods.label"))
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12), server_default="draft")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("principals.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("principals.id"))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    exported_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    rejected_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = now_column()


class StatementLine(Base):
    """One frozen line of a statement; a trigger refuses UPDATE and DELETE."""

    __tablename__ = "statement_lines"
    __table_args__ = (CheckConstraint(one_of("kind", STATEMENT_LINE_KINDS), name="kind"),)

    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id"), primary_key=True)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    plan_key: Mapped[str | None] = mapped_column(String(200))
    component: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    trace: Mapped[dict[str, Any]] = mapped_column(JSONB)


class Dispute(Base):
    """A participant's inquiry on one statement line, answered and resolved by finance.

    Accepted with an adjustment (paid through ``manual_adjustments`` in an open period,
    never by changing the statement) or declined with a reason. At most one inquiry per
    line is unresolved at a time.
    """

    __tablename__ = "disputes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["statement_id", "line_no"], ["statement_lines.statement_id", "statement_lines.line_no"]
        ),
        CheckConstraint(one_of("status", DISPUTE_STATUSES), name="status"),
        CheckConstraint("length(message) > 0", name="message"),
        CheckConstraint(
            "status <> 'accepted' OR (adjustment_minor IS NOT NULL AND adjustment_minor <> 0)",
            name="accepted_adjustment",
        ),
        CheckConstraint("status <> 'declined' OR resolution_reason IS NOT NULL", name="declined"),
        CheckConstraint(
            "(status IN ('accepted', 'declined')) = (resolved_at IS NOT NULL)", name="resolved"
        ),
        Index(
            "uq_disputes_unresolved_line",
            "statement_id",
            "line_no",
            unique=True,
            postgresql_where=text("status IN ('open', 'answered')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    statement_id: Mapped[int] = mapped_column(BigInteger)
    line_no: Mapped[int] = mapped_column(Integer)
    # Whose pay, copied from the statement so that a participant's inquiries are one lookup.
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("principals.id"))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), server_default="open", index=True)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("principals.id"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_reason: Mapped[str | None] = mapped_column(Text)
    adjustment_minor: Mapped[int | None] = mapped_column(BigInteger)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("principals.id"))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = now_column()


class ManualAdjustment(Base):
    """An amount owed to (or by) a participant, paid as an adjustment line in an open period.

    It settles an accepted dispute (``dispute_id``) without touching the disputed statement:
    the statement created when ``period`` closes takes it up as an ``adjustment`` line and
    records itself in ``statement_id``.
    """

    __tablename__ = "manual_adjustments"
    __table_args__ = (
        CheckConstraint("amount_minor <> 0", name="amount"),
        CheckConstraint(CURRENCY_CHECK, name="currency_code"),
        Index(None, "period", "participant_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    period: Mapped[str] = mapped_column(String(20), ForeignKey("periods.label"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(Text)
    dispute_id: Mapped[int | None] = mapped_column(ForeignKey("disputes.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("principals.id"))
    created_at: Mapped[dt.datetime] = now_column()
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("statements.id"))
