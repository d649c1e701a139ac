"""Calculation runs and what they leave: results, earning lines, credits, and the
recomputes an ingest still owes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from incentives.db.leases import RunStatus
from incentives.db.models.base import Base, now_column, one_of

RUN_STATUSES = tuple(status.value for status in RunStatus)


def running_lease_index(table: str) -> Index:
    """The index the sweep for expired leases reads: only running rows, by lease end."""
    return Index(
        f"ix_{table}_running_lease", "lease_until", postgresql_where=text("status = 'running'")
    )


class CalcRun(Base):
    """A recorded calculation: what triggered it, over what, with which plans and inputs."""

    __tablename__ = "calc_runs"
    __table_args__ = (
        CheckConstraint(one_of("status", RUN_STATUSES), name="status"),
        Index(None, "started_at"),
        running_lease_index("calc_runs"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    trigger: Mapped[str] = mapped_column(String(20))  # api | cli | ingest | schedule
    requested_by: Mapped[str] = mapped_column(String(300))
    scope: Mapped[dict[str, Any]] = mapped_column(JSONB)
    plan_versions: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    # The newest audit entry when the run read its inputs: every write is audited.
    input_watermark: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), server_default="running")
    started_at: Mapped[dt.datetime] = now_column()
    lease_until: Mapped[dt.datetime] = now_column()  # see db/leases.py
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    error: Mapped[str | None] = mapped_column(Text)


class ParticipantResult(Base):
    """A participant's outcome under a plan for a period, as the latest run left it."""

    __tablename__ = "participant_results"

    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), primary_key=True)
    plan_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    period: Mapped[str] = mapped_column(String(20), primary_key=True)
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"))
    run_id: Mapped[int] = mapped_column(ForeignKey("calc_runs.id"))
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    measures: Mapped[list[Any]] = mapped_column(JSONB)
    notes: Mapped[list[Any]] = mapped_column(JSONB, server_default=text("'[]'"))


class EarningLine(Base):
    """One earning line of a participant-period with its trace."""

    __tablename__ = "earning_lines"

    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), primary_key=True)
    plan_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    period: Mapped[str] = mapped_column(String(20), primary_key=True)
    line_no: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    component: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    trace: Mapped[dict[str, Any]] = mapped_column(JSONB)
    run_id: Mapped[int] = mapped_column(ForeignKey("calc_runs.id"))


class Credit(Base):
    """The deal credits of a participant in a plan and period: who got credit, and why.

    One row per participant-period holding parallel arrays, one position per credit (read
    them as rows through the ``credit_rows`` view): ``sources`` codes index ('owner',
    'split', 'rollup'); ``via_ids`` the directly credited participant a rollup comes
    through (0: direct); ``shares`` millionths of the deal; ``payout_minor`` the deal in
    minor units of the plan's currency, with ``minor_places`` decimals. Derived data
    written in bulk by runs only: arrays rather than a row per credit because a year holds
    millions of them, and no foreign keys, whose per-row checks would cost more than the write.
    """

    __tablename__ = "credits"
    __table_args__ = (
        CheckConstraint(
            "cardinality(deal_ids) = cardinality(sources)"
            " AND cardinality(deal_ids) = cardinality(via_ids)"
            " AND cardinality(deal_ids) = cardinality(shares)"
            " AND cardinality(deal_ids) = cardinality(payout_minor)",
            name="parallel",
        ),
    )

    participant_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    plan_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    period: Mapped[str] = mapped_column(String(20), primary_key=True)
    run_id: Mapped[int] = mapped_column(BigInteger)
    minor_places: Mapped[int] = mapped_column(SmallInteger)
    deal_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    sources: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger))
    via_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    shares: Mapped[list[int]] = mapped_column(ARRAY(Integer))
    payout_minor: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))


class PendingRecompute(Base):
    """What an ingest changed, kept from its transaction until the recompute it set off
    has finished, so that a recompute lost to a crash is found and made again."""

    __tablename__ = "pending_recomputes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    created_at: Mapped[dt.datetime] = now_column()
    # Until when the process that wrote it has it; after that anyone may take it up.
    claimed_until: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    touched: Mapped[dict[str, Any]] = mapped_column(JSONB)
