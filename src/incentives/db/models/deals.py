"""What pay is computed from: deals, their splits and history, activities, exchange rates."""

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
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from incentives.db.models.base import CURRENCY_CHECK, Base, now_column, one_of

DEAL_STATUSES = ("won", "lost", "open", "cancelled")


class Deal(Base):
    """A deal as it stands now; every accepted change is also kept in ``deal_history``."""

    __tablename__ = "deals"
    __table_args__ = (
        CheckConstraint(one_of("status", DEAL_STATUSES), name="status"),
        CheckConstraint(CURRENCY_CHECK, name="currency_code"),
        Index(None, "owner_id", "close_date"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    close_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    product: Mapped[str | None] = mapped_column(String(200))
    cancel_date: Mapped[dt.date | None] = mapped_column(Date)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[dt.datetime] = now_column()
    updated_at: Mapped[dt.datetime] = now_column()


class DealSplit(Base):
    """Split credit. A deal without rows here credits its owner 100%."""

    __tablename__ = "deal_splits"
    __table_args__ = (CheckConstraint("percent > 0 AND percent <= 100", name="percent"),)

    deal_id: Mapped[int] = mapped_column(
        ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id"), primary_key=True, index=True
    )
    percent: Mapped[Decimal] = mapped_column(Numeric(9, 6))


class DealHistory(Base):
    """Every accepted version of a deal, with the time it arrived and the write that made it."""

    __tablename__ = "deal_history"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    audit_id: Mapped[int | None] = mapped_column(ForeignKey("audit_log.id"))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB)

    __table_args__ = (UniqueConstraint("deal_id", "version"),)


class Activity(Base):
    """A sales activity: a call, a meeting, a demo…"""

    __tablename__ = "activities"
    __table_args__ = (
        Index(None, "participant_id", "occurred_at"),
        CheckConstraint("quantity >= 0", name="quantity"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    type: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 4), server_default="1")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    created_at: Mapped[dt.datetime] = now_column()
    updated_at: Mapped[dt.datetime] = now_column()


class FxRate(Base):
    """How many units of ``to_currency`` one unit of ``currency`` buys from ``on_date`` on."""

    __tablename__ = "fx_rates"
    __table_args__ = (
        UniqueConstraint("currency", "to_currency", "on_date"),
        CheckConstraint("rate > 0", name="positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    currency: Mapped[str] = mapped_column(String(3))
    to_currency: Mapped[str] = mapped_column(String(3))
    on_date: Mapped[dt.date] = mapped_column(Date)
    rate: Mapped[Decimal] = mapped_column(Numeric(24, 12))
    created_at: Mapped[dt.datetime] = now_column()
    updated_at: Mapped[dt.datetime] = now_column()
