"""Contests, their entries and standings, awards, prizes and finance's approvals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from incentives.db.models.base import CURRENCY_CHECK, Base, now_column, one_of

CONTEST_STATUSES = ("draft", "scheduled", "live", "ended", "awarded", "cancelled")
CONTEST_VISIBILITIES = ("public", "test")
AWARD_SOURCES = ("contest", "achievement")


class Contest(Base):
    """A contest: its definition (the contest file's content) and where it stands.

    ``draft`` → ``scheduled`` → ``live`` (its window has begun) → ``ended`` (standings
    frozen) → ``awarded``, or ``cancelled``. ``ranks_day`` is the day whose opening ranks
    ``contest_standings.day_rank`` holds.
    """

    __tablename__ = "contests"
    __table_args__ = (
        CheckConstraint(one_of("status", CONTEST_STATUSES), name="status"),
        CheckConstraint(one_of("visibility", CONTEST_VISIBILITIES), name="visibility"),
        CheckConstraint("ends_on >= starts_on", name="window"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(12), server_default="draft", index=True)
    visibility: Mapped[str] = mapped_column(String(10))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)  # inclusive
    definition: Mapped[dict[str, Any]] = mapped_column(JSONB)
    plan_version_id: Mapped[int | None] = mapped_column(ForeignKey("plan_versions.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("principals.id"))
    created_by: Mapped[str] = mapped_column(String(300))
    revision: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[dt.datetime] = now_column()
    updated_at: Mapped[dt.datetime] = now_column()
    live_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    frozen_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    awarded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    ranks_day: Mapped[dt.date | None] = mapped_column(Date)


class ContestEntry(Base):
    """A participant taking part in a contest: their score, target, and when and with which
    event they reached the score (the last deal or activity that counts, by its own date
    or its arrival, as the contest says)."""

    __tablename__ = "contest_entries"
    __table_args__ = (Index(None, "contest_id", "team_id"),)

    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id"), primary_key=True, index=True
    )
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    score: Mapped[Decimal] = mapped_column(Numeric, server_default="0")
    target: Mapped[Decimal | None] = mapped_column(Numeric)
    reached_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reaching_event: Mapped[str | None] = mapped_column(Text)


class ContestStanding(Base):
    """What a contest ranks: a participant, or a team (per the contest's scope), with the
    value it is ranked on (the score, or percent of target as a fraction)."""

    __tablename__ = "contest_standings"

    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), primary_key=True
    )
    subject_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    score: Mapped[Decimal] = mapped_column(Numeric)
    target: Mapped[Decimal | None] = mapped_column(Numeric)
    value: Mapped[Decimal | None] = mapped_column(Numeric)
    reached_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    members: Mapped[int] = mapped_column(Integer, server_default="1")
    reaching_event: Mapped[str | None] = mapped_column(Text)
    day_rank: Mapped[int | None] = mapped_column(Integer)
    final_rank: Mapped[int | None] = mapped_column(Integer)


class Award(Base):
    """Points and a badge a participant won, once per source, rule, participant and
    occasion; a revoked award keeps its row with when and why."""

    __tablename__ = "awards"
    __table_args__ = (
        UniqueConstraint("source", "source_key", "participant_id", "occasion"),
        CheckConstraint(one_of("source", AWARD_SOURCES), name="source"),
        CheckConstraint("points >= 0", name="points"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))
    source_key: Mapped[str] = mapped_column(String(200))
    occasion: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    points: Mapped[int] = mapped_column(Integer, server_default="0")
    badge: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    awarded_at: Mapped[dt.datetime] = now_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(Text)


class PrizePayout(Base):
    """A contest's cash prize, paid as a ``spiff`` line by the statement of ``period``
    (which records itself in ``statement_id``)."""

    __tablename__ = "prize_payouts"
    __table_args__ = (
        UniqueConstraint("contest_id", "participant_id", "prize_no"),
        CheckConstraint("amount_minor > 0", name="amount"),
        CheckConstraint(CURRENCY_CHECK, name="currency_code"),
        Index(None, "period", "participant_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    prize_no: Mapped[int] = mapped_column(Integer)
    rank: Mapped[int | None] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(20), ForeignKey("periods.label"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    name: Mapped[str] = mapped_column(String(300))
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("statements.id"))
    created_at: Mapped[dt.datetime] = now_column()


class ContestApproval(Base):
    """Finance's approval, which a manager's contest with a cash prize above the approval
    threshold waits for: a row means it is needed, ``approved_at`` that it was given."""

    __tablename__ = "contest_approvals"
    __table_args__ = (
        CheckConstraint("largest_cash_minor > 0", name="largest_cash"),
        CheckConstraint("(approved_at IS NULL) = (approved_by IS NULL)", name="approved_by_whom"),
    )

    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), primary_key=True
    )
    # The largest cash prize of the definition asked about, in its currency.
    largest_cash_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[dt.datetime] = now_column()
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("principals.id"))
    approved_by: Mapped[str | None] = mapped_column(Text)
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
