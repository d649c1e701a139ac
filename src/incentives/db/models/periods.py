"""The fiscal calendar: months, quarters and years, and whether each is closed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from incentives.db.models.base import Base, now_column, one_of

PERIOD_KINDS = ("month", "quarter", "year")
PERIOD_STATUSES = ("open", "closing", "closed")


class Period(Base):
    """A fiscal month, quarter or year; label like ``2026-03``, ``2026-Q1``, ``2026``."""

    __tablename__ = "periods"
    __table_args__ = (
        UniqueConstraint("kind", "start_date"),
        CheckConstraint(one_of("kind", PERIOD_KINDS), name="kind"),
        CheckConstraint(one_of("status", PERIOD_STATUSES), name="status"),
        CheckConstraint("end_date >= start_date", name="range"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(20), unique=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)  # inclusive
    status: Mapped[str] = mapped_column(String(10), server_default="open")
    created_at: Mapped[dt.datetime] = now_column()
    # When the period was closed; a trigger refuses any change to a closed period.
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(300))
