"""Who calls the API (principals and their tokens), what they wrote (the audit
log) and the requests they may repeat (idempotency keys)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from incentives.auth.roles import Role
from incentives.db.models.base import Base, now_column, one_of

ROLES = tuple(role.value for role in Role)


class Principal(Base):
    """Someone (or some system) that calls the API, with one role."""

    __tablename__ = "principals"
    __table_args__ = (CheckConstraint(one_of("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"), index=True)
    created_at: Mapped[dt.datetime] = now_column()
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored, the token itself is shown once.

    ``label`` tells a principal's tokens apart; ``expires_at`` is empty for a token that
    lasts until revoked.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("principals.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = now_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    label: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """Append-only record of every write through the API or the CLI.

    A trigger refuses UPDATE and DELETE on this table.
    """

    __tablename__ = "audit_log"
    # (entity, entity_key): the history of one statement, dispute or plan.
    __table_args__ = (Index(None, "entity", "at"), Index(None, "entity", "entity_key"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = now_column()
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("principals.id"))
    actor: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(10))  # api | cli
    action: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(100))
    entity_key: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class IdempotencyKey(Base):
    """A request made with an ``Idempotency-Key`` header, and the response it got.

    The row is inserted before the request acts, in the same transaction: a concurrent
    duplicate waits on it, then replays the stored response. A request that fails leaves no
    row, so it may be retried with the same key.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("principal_id", "key"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("principals.id"))
    key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(Text)
    # SHA-256 of method, path and body: the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None] = mapped_column(SmallInteger)
    response_body: Mapped[Any] = mapped_column(JSONB, nullable=True)
    created_at: Mapped[dt.datetime] = now_column()
