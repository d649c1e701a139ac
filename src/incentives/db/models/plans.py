"""Published plans, who is paid under which, and quotas."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from incentives.db.models.base import Base, now_column


class PlanVersion(Base):
    """An immutable published version of a plan: its source text and what it was judged to be."""

    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("key", "version"), Index(None, "key", "content_hash"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(Text)
    source_format: Mapped[str] = mapped_column(String(10))
    content_hash: Mapped[str] = mapped_column(String(64))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[dt.date] = mapped_column(Date)  # inclusive, as written in plans
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("principals.id"))
    published_by: Mapped[str] = mapped_column(String(300))
    published_at: Mapped[dt.datetime] = now_column()


class PlanAssignment(Base):
    """A participant, or a whole team, paid under a plan from valid_from to valid_to (incl.).

    ``subject`` names who, as ``participant:<external id>`` or ``team:<external id>``.
    """

    __tablename__ = "plan_assignments"
    __table_args__ = (
        UniqueConstraint("subject", "plan_key", "valid_from"),
        CheckConstraint("(participant_id IS NULL) <> (team_id IS NULL)", name="one_subject"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_range"),
        CheckConstraint("target_incentive_minor >= 0", name="target"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(220))
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    plan_key: Mapped[str] = mapped_column(String(200), index=True)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    target_incentive_minor: Mapped[int] = mapped_column(BigInteger, server_default="0")
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[dt.datetime] = now_column()
    updated_at: Mapped[dt.datetime] = now_column()


class Quota(Base):
    """A participant's quota for one period and measure (money in major units, or a count)."""

    __tablename__ = "quotas"
    __table_args__ = (
        UniqueConstraint("participant_id", "period", "measure"),
        CheckConstraint("amount >= 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    period: Mapped[str] = mapped_column(String(20))
    measure: Mapped[str] = mapped_column(String(100))
    amount: Mapped[Decimal] = mapped_column(Numeric(20, 4))
    created_at: Mapped[dt.datetime] = now_column()
    updated_at: Mapped[dt.datetime] = now_column()
