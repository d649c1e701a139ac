"""Plain input rows, for tests and small data; :mod:`incentives.engine.tables` turns them
into the columnar tables the engine evaluates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

DealStatus = Literal["won", "lost", "open", "cancelled"]
DEAL_STATUSES: tuple[DealStatus, ...] = ("won", "lost", "open", "cancelled")


@dataclass(frozen=True)
class Participant:
    """A person paid under a plan; ``end_date`` (inclusive) is None while employed.

    ``target_incentive`` is the annual on-target incentive in minor units of the plan's
    payout currency.
    """

    id: str
    name: str
    start_date: dt.date
    end_date: dt.date | None = None
    email: str = ""
    currency: str = ""
    target_incentive: int = 0


@dataclass(frozen=True)
class Assignment:
    """Who ``participant_id`` reports to, from ``valid_from`` to ``valid_to``, both inclusive
    (``valid_to`` None: still current)."""

    participant_id: str
    manager_id: str | None
    valid_from: dt.date
    valid_to: dt.date | None = None
    team: str = ""


@dataclass(frozen=True)
class Quota:
    """A participant's quota for one period (``2026-Q1``) and measure, in minor units of the
    payout currency for amount measures, or a plain count for count measures."""

    participant_id: str
    period: str
    measure: str
    amount: int


@dataclass(frozen=True)
class Deal:
    """A deal; cancelled deals were won first (``cancel_date`` says when they were undone)."""

    id: str
    owner_id: str
    amount: int
    currency: str
    close_date: dt.date
    status: DealStatus = "won"
    product: str = ""
    cancel_date: dt.date | None = None
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Split:
    """A share of a deal's credit; a deal's splits sum to 100 (percent)."""

    deal_id: str
    participant_id: str
    percent: Decimal


@dataclass(frozen=True)
class Activity:
    """Something a participant did (a call, a meeting held), counted by quantity;
    ``attributes`` are its free fields (an outcome, a channel), as text."""

    id: str
    participant_id: str
    type: str
    occurred_on: dt.date
    quantity: int = 1
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FxRate:
    """Units of payout currency per unit of ``currency``, from ``date`` on."""

    currency: str
    date: dt.date
    rate: Decimal
