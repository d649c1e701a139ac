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
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, ExcludeConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from incentives.auth.roles import Role
from incentives.db.leases import RunStatus

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = tuple(role.value for role in Role)
DEAL_STATUSES = ("won", "lost", "open", "cancelled")
PERIOD_KINDS = ("month", "quarter", "year")
PERIOD_STATUSES = ("open", "closing", "closed")
STATEMENT_STATUSES = ("draft", "submitted", "approved", "paid")
STATEMENT_LINE_KINDS = ("earning", "adjustment", "draw", "recovery", "clawback", "spiff")
RUN_STATUSES = tuple(status.value for status in RunStatus)
DISPUTE_STATUSES = ("open", "answered", "accepted", "declined")
CONTEST_STATUSES = ("draft", "scheduled", "live", "ended", "awarded", "cancelled")
CONTEST_VISIBILITIES = ("public", "test")
AWARD_SOURCES = ("contest", "achievement")


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
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()


class Period(Base):
    """A fiscal month, quarter or year; label like ``2026-03``, ``2026-Q1``, ``2026``."""

    __tablename__ = "periods"
    __table_args__ = (
        UniqueConstraint("kind", "start_date"),
        CheckConstraint(_one_of("kind", PERIOD_KINDS), name="kind"),
        CheckConstraint(_one_of("status", PERIOD_STATUSES), name="status"),
        CheckConstraint("end_date >= start_date", name="range"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(20), unique=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)  # inclusive
    status: Mapped[str] = mapped_column(String(10), server_default="open")
    created_at: Mapped[dt.datetime] = _now()
    # When the period was closed; a trigger refuses any change to a closed period.
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(300))


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
    # (entity, entity_key): the history of one statement, dispute or plan.
    __table_args__ = (Index(None, "entity", "at"), Index(None, "entity", "entity_key"))

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
    rate: Mapped[Any] = mapped_column(Numeric(24, 12))
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()


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
    published_at: Mapped[dt.datetime] = _now()


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
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()


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
    amount: Mapped[Any] = mapped_column(Numeric(20, 4))
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()


class CalcRun(Base):
    """A recorded calculation: what triggered it, over what, with which plans and inputs."""

    __tablename__ = "calc_runs"
    __table_args__ = (
        CheckConstraint(_one_of("status", RUN_STATUSES), name="status"),
        Index(None, "started_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    trigger: Mapped[str] = mapped_column(String(20))  # api | cli | ingest | schedule
    requested_by: Mapped[str] = mapped_column(String(300))
    scope: Mapped[dict[str, Any]] = mapped_column(JSONB)
    plan_versions: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    # The newest audit entry when the run read its inputs: every write is audited.
    input_watermark: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), server_default="running")
    started_at: Mapped[dt.datetime] = _now()
    lease_until: Mapped[dt.datetime] = _now()  # see db/leases.py
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


class Statement(Base):
    """A participant's pay for a closed period in one currency: its lines are frozen.

    Created as a draft when the period closes. Workflow columns change with optimistic
    locking (``version``); triggers refuse deleting a statement or changing whose, which
    period, which currency or how much it is.
    """

    __tablename__ = "statements"
    __table_args__ = (
        UniqueConstraint("participant_id", "period", "currency"),
        CheckConstraint(_one_of("status", STATEMENT_STATUSES), name="status"),
        CheckConstraint(_CURRENCY_CHECK, name="currency_code"),
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
    created_at: Mapped[dt.datetime] = _now()


class StatementLine(Base):
    """One frozen line of a statement; a trigger refuses UPDATE and DELETE."""

    __tablename__ = "statement_lines"
    __table_args__ = (CheckConstraint(_one_of("kind", STATEMENT_LINE_KINDS), name="kind"),)

    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id"), primary_key=True)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    plan_key: Mapped[str | None] = mapped_column(String(200))
    component: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    trace: Mapped[dict[str, Any]] = mapped_column(JSONB)


class JobRun(Base):
    """One firing of a scheduled job: the row is the claim that makes it run exactly once
    (see scheduler.py); a failed or abandoned one may be claimed again."""

    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("job", "scheduled_for"),
        CheckConstraint(_one_of("status", RUN_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(100))
    scheduled_for: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(12), server_default="running")
    attempts: Mapped[int] = mapped_column(Integer, server_default="1")
    runner: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[dt.datetime] = _now()
    lease_until: Mapped[dt.datetime] = _now()
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    error: Mapped[str | None] = mapped_column(Text)


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
        CheckConstraint(_one_of("status", DISPUTE_STATUSES), name="status"),
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
    created_at: Mapped[dt.datetime] = _now()


class ManualAdjustment(Base):
    """An amount owed to (or by) a participant, paid as an adjustment line in an open period.

    It settles an accepted dispute (``dispute_id``) without touching the disputed statement:
    the statement created when ``period`` closes takes it up as an ``adjustment`` line and
    records itself in ``statement_id``.
    """

    __tablename__ = "manual_adjustments"
    __table_args__ = (
        CheckConstraint("amount_minor <> 0", name="amount"),
        CheckConstraint(_CURRENCY_CHECK, name="currency_code"),
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
    created_at: Mapped[dt.datetime] = _now()
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("statements.id"))


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
    created_at: Mapped[dt.datetime] = _now()


class Contest(Base):
    """A contest: its definition (the contest file's content) and where it stands.

    ``draft`` → ``scheduled`` → ``live`` (its window has begun) → ``ended`` (standings
    frozen) → ``awarded``, or ``cancelled``. ``ranks_day`` is the day whose opening ranks
    ``contest_standings.day_rank`` holds.
    """

    __tablename__ = "contests"
    __table_args__ = (
        CheckConstraint(_one_of("status", CONTEST_STATUSES), name="status"),
        CheckConstraint(_one_of("visibility", CONTEST_VISIBILITIES), name="visibility"),
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
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()
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
    score: Mapped[Any] = mapped_column(Numeric, server_default="0")
    target: Mapped[Any] = mapped_column(Numeric)
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
    score: Mapped[Any] = mapped_column(Numeric)
    target: Mapped[Any] = mapped_column(Numeric)
    value: Mapped[Any] = mapped_column(Numeric)
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
        CheckConstraint(_one_of("source", AWARD_SOURCES), name="source"),
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
    awarded_at: Mapped[dt.datetime] = _now()
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(Text)


class PrizePayout(Base):
    """A contest's cash prize, paid as a ``spiff`` line by the statement of ``period``
    (which records itself in ``statement_id``)."""

    __tablename__ = "prize_payouts"
    __table_args__ = (
        UniqueConstraint("contest_id", "participant_id", "prize_no"),
        CheckConstraint("amount_minor > 0", name="amount"),
        CheckConstraint(_CURRENCY_CHECK, name="currency_code"),
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
    created_at: Mapped[dt.datetime] = _now()


__all__ = [
    "AWARD_SOURCES",
    "CONTEST_STATUSES",
    "CONTEST_VISIBILITIES",
    "DEAL_STATUSES",
    "DISPUTE_STATUSES",
    "NAMING_CONVENTION",
    "PERIOD_KINDS",
    "PERIOD_STATUSES",
    "ROLES",
    "RUN_STATUSES",
    "STATEMENT_LINE_KINDS",
    "STATEMENT_STATUSES",
    "Activity",
    "ApiToken",
    "Assignment",
    "AuditEntry",
    "Award",
    "Base",
    "CalcRun",
    "Contest",
    "ContestEntry",
    "ContestStanding",
    "Credit",
    "Deal",
    "DealHistory",
    "DealSplit",
    "Dispute",
    "EarningLine",
    "FxRate",
    "IdempotencyKey",
    "JobRun",
    "ManualAdjustment",
    "Participant",
    "ParticipantResult",
    "Period",
    "PlanAssignment",
    "PlanVersion",
    "Principal",
    "PrizePayout",
    "Quota",
    "Statement",
    "StatementLine",
    "Team",
]
