"""The relational schema as SQLAlchemy models, one module per capability.

The migrations (``migrations/versions``) are the schema; these models mirror them, column
by column, and a test holds the two together. Money is integer minor units plus an ISO
4217 code everywhere.
"""

from __future__ import annotations

from incentives.db.models.access import ROLES, ApiToken, AuditEntry, IdempotencyKey, Principal
from incentives.db.models.base import NAMING_CONVENTION, Base
from incentives.db.models.calc import (
    RUN_STATUSES,
    CalcRun,
    Credit,
    EarningLine,
    ParticipantResult,
    PendingRecompute,
)
from incentives.db.models.deals import DEAL_STATUSES, Activity, Deal, DealHistory, DealSplit, FxRate
from incentives.db.models.games import (
    AWARD_SOURCES,
    CONTEST_STATUSES,
    CONTEST_VISIBILITIES,
    Award,
    Contest,
    ContestApproval,
    ContestEntry,
    ContestStanding,
    PrizePayout,
)
from incentives.db.models.jobs import JobRun
from incentives.db.models.payouts import (
    DISPUTE_STATUSES,
    STATEMENT_LINE_KINDS,
    STATEMENT_STATUSES,
    Dispute,
    ManualAdjustment,
    Statement,
    StatementLine,
)
from incentives.db.models.people import Assignment, Participant, Team
from incentives.db.models.periods import PERIOD_KINDS, PERIOD_STATUSES, Period
from incentives.db.models.plans import PlanAssignment, PlanVersion, Quota
from incentives.db.models.webhooks import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookMessage,
    WebhookSubscription,
)

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
    "ContestApproval",
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
    "PendingRecompute",
    "Period",
    "PlanAssignment",
    "PlanVersion",
    "Principal",
    "PrizePayout",
    "Quota",
    "Statement",
    "StatementLine",
    "Team",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookMessage",
    "WebhookSubscription",
]
