"""Participants, teams and who sits where, effective-dated."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from incentives.db.models.base import CURRENCY_CHECK, Base, now_column


class Participant(Base):
    """A payee: a rep or a manager."""

    __tablename__ = "participants"
    __table_args__ = (CheckConstraint(CURRENCY_CHECK, name="currency_code"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = now_column()
    updated_at: Mapped[dt.datetime] = now_column()


class Team(Base):
    """A sales team, named by its external id."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(300))


class Assignment(Base):
    """Where a participant sits, effective-dated from valid_from to valid_to, both inclusive.

    The exclusion constraint makes the database itself refuse overlapping assignments of
    one participant.
    """

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("participant_id", "valid_from"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_range"),
        CheckConstraint("manager_id IS NULL OR manager_id <> participant_id", name="not_self"),
        ExcludeConstraint(
            # A one-point range on the id stands in for equality, which GiST indexes only
            # with the btree_gist extension (absent from some PostgreSQL builds).
            (text("int8range(participant_id, participant_id, '[]')"), "&&"),
            (text("daterange(valid_from, valid_to, '[]')"), "&&"),
            name="ex_assignments_no_overlap",
            using="gist",
            # Checked at commit, so one batch may move two adjacent ranges at once.
            deferrable=True,
            initially="DEFERRED",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"), index=True)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = now_column()
    updated_at: Mapped[dt.datetime] = now_column()
