"""Scheduled jobs' firings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from incentives.db.models.base import Base, now_column, one_of
from incentives.db.models.calc import RUN_STATUSES, running_lease_index


class JobRun(Base):
    """One firing of a scheduled job: the row is the claim that makes it run exactly once
    (see scheduler.py); a failed or abandoned one may be claimed again."""

    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("job", "scheduled_for"),
        CheckConstraint(one_of("status", RUN_STATUSES), name="status"),
        running_lease_index("job_runs"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(100))
    scheduled_for: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(12), server_default="running")
    attempts: Mapped[int] = mapped_column(Integer, server_default="1")
    runner: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[dt.datetime] = now_column()
    lease_until: Mapped[dt.datetime] = now_column()  # see db/leases.py
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    error: Mapped[str | None] = mapped_column(Text)
