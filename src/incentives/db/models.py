"""The relational schema. Money is integer minor units plus an ISO 4217 code everywhere.

Constraint names follow ``NAMING_CONVENTION`` so that migrations refer to stable names.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, ExcludeConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("rep", "manager", "finance", "admin", "integration")
DEAL_STATUSES = ("won", "lost", "open", "cancelled")
PERIOD_KINDS = ("month", "quarter", "year")
PERIOD_STATUSES = ("open", "closing", "closed")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


_CURRENCY_CHECK = "currency ~ '^[A-Z]{3}$'"


class Base(DeclarativeBase):
    """Declarative base carrying the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _now() -> Any:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class Participant(Base):
    """A payee: a rep or a manager."""

    __tablename__ = "participants"
    __table_args__ = (CheckConstraint(_CURRENCY_CHECK, name="currency_code"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()


class Team(Base):
    """A sales team, named by its external id."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(300))


class Assignment(Base):
    """Where a participant sits, effective-dated: valid_from inclusive, valid_to exclusive.

    The exclusion constraint makes the database itself refuse overlapping assignments of
    one participant.
    """

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("participant_id", "valid_from"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="valid_range"),
        CheckConstraint("manager_id IS NULL OR manager_id <> participant_id", name="not_self"),
        ExcludeConstraint(
            # A one-point range on the id stands in for equality, which GiST indexes only
            # with the btree_gist extension (absent from some PostgreSQL builds).
            (text("int8range(participant_id, participant_id, '[]')"), "&&"),
            (text("daterange(valid_from, valid_to, '[)')"), "&&"),
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
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()


class Period(Base):
    """A fiscal month, quarter or year; label like ``2026-03``, ``2026-Q1``, ``2026``."""

    __tablename__ = "periods"
    __table_args__ = (
        UniqueConstraint("kind", "start_date"),
        CheckConstraint(_one_of("kind", PERIOD_KINDS), name="kind"),
        CheckConstraint(_one_of("status", PERIOD_STATUSES), name="status"),
        CheckConstraint("end_date > start_date", name="range"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(20), unique=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)  # exclusive
    status: Mapped[str] = mapped_column(String(10), server_default="open")
    created_at: Mapped[dt.datetime] = _now()


class Deal(Base):
    """A deal as it stands now; every accepted change is also kept in ``deal_history``."""

    __tablename__ = "deals"
    __table_args__ = (
        CheckConstraint(_one_of("status", DEAL_STATUSES), name="status"),
        CheckConstraint(_CURRENCY_CHECK, name="currency_code"),
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
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()


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
    percent: Mapped[Any] = mapped_column(Numeric(9, 6))


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
    quantity: Mapped[Any] = mapped_column(Numeric(18, 4), server_default="1")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()


class Principal(Base):
    """Someone (or some system) that calls the API, with one role."""

    __tablename__ = "principals"
    __table_args__ = (CheckConstraint(_one_of("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"), index=True)
    created_at: Mapped[dt.datetime] = _now()
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored, the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("principals.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = _now()
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """Append-only record of every write through the API or the CLI.

    A trigger refuses UPDATE and DELETE on this table.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "entity", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = _now()
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("principals.id"))
    actor: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(10))  # api | cli
    action: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(100))
    entity_key: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


__all__ = [
    "DEAL_STATUSES",
    "NAMING_CONVENTION",
    "PERIOD_KINDS",
    "PERIOD_STATUSES",
    "ROLES",
    "Activity",
    "ApiToken",
    "Assignment",
    "AuditEntry",
    "Base",
    "Deal",
    "DealHistory",
    "DealSplit",
    "Participant",
    "Period",
    "Principal",
    "Team",
]
