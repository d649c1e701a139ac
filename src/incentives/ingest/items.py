"""The canonical shape of ingested items, shared by the API and the CSV import."""

from __future__ import annotations

import datetime as dt
import enum
import re
from typing import Annotated, Any, Literal, TypeVar

import msgspec

from incentives.bounds import (
    Amount,
    Attributes,
    ExternalId,
    Label,
    Name,
    PlanKey,
    Quantity,
    Rate,
    Share,
    Word,
    decode_hook,
    default,
)
from incentives.ingest.problems import ItemProblem

Currency = Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")]
AwareDateTime = Annotated[dt.datetime, msgspec.Meta(tz=True)]


class Item(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every ingested item."""


class ParticipantItem(Item):
    """A payee, keyed by ``external_id``."""

    external_id: ExternalId
    name: Name
    currency: Currency
    email: Annotated[str, msgspec.Meta(max_length=320)] | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None


class AssignmentItem(Item):
    """Where a participant sits from ``valid_from`` to ``valid_to``, both inclusive.

    Keyed by participant and ``valid_from``; ``team`` is a team's external id (created on
    first use) and ``manager`` a participant's external id.
    """

    participant: ExternalId
    valid_from: dt.date
    valid_to: dt.date | None = None
    team: ExternalId | None = None
    team_name: Name | None = None
    manager: ExternalId | None = None


class SplitItem(Item):
    """Share of a deal's credit, in percent."""

    participant: ExternalId
    percent: Share


class DealItem(Item):
    """A deal, keyed by ``external_id``. Without ``splits`` the owner gets all the credit."""

    external_id: ExternalId
    owner: ExternalId
    amount: Amount
    currency: Currency
    close_date: dt.date
    status: Literal["won", "lost", "open", "cancelled"]
    product: Label | None = None
    cancel_date: dt.date | None = None
    attributes: Attributes = msgspec.field(default_factory=dict)
    splits: list[SplitItem] | None = None


class ActivityItem(Item):
    """A sales activity, keyed by ``external_id``; ``occurred_at`` carries its offset."""

    external_id: ExternalId
    participant: ExternalId
    type: Word
    occurred_at: AwareDateTime
    quantity: Quantity = default("1")
    attributes: Attributes = msgspec.field(default_factory=dict)


PeriodLabel = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$")]


class PlanAssignmentItem(Item):
    """A participant, or a whole team, paid under plan ``plan`` from ``valid_from`` to
    ``valid_to`` (both inclusive), with an annual target incentive."""

    plan: PlanKey
    valid_from: dt.date
    currency: Currency
    participant: ExternalId | None = None
    team: ExternalId | None = None
    valid_to: dt.date | None = None
    target_incentive: Amount = default("0")


class QuotaItem(Item):
    """A participant's quota for a period (``2026-Q1``) and measure: an amount in the
    plan's payout currency, or a count for count measures."""

    participant: ExternalId
    period: PeriodLabel
    measure: Word
    amount: Amount


class FxRateItem(Item):
    """One unit of ``currency`` buys ``rate`` units of ``to_currency`` from ``date`` on."""

    currency: Currency
    to_currency: Currency
    date: dt.date
    rate: Rate


class Kind(enum.StrEnum):
    """What a batch or a file holds. Members are their names as strings, so a kind read
    from text finds its entry in the tables keyed by kind."""

    PARTICIPANTS = "participants"
    ASSIGNMENTS = "assignments"
    DEALS = "deals"
    ACTIVITIES = "activities"
    PLAN_ASSIGNMENTS = "plan_assignments"
    QUOTAS = "quotas"
    FX_RATES = "fx_rates"


KINDS: dict[str, type[Item]] = {
    Kind.PARTICIPANTS: ParticipantItem,
    Kind.ASSIGNMENTS: AssignmentItem,
    Kind.DEALS: DealItem,
    Kind.ACTIVITIES: ActivityItem,
    Kind.PLAN_ASSIGNMENTS: PlanAssignmentItem,
    Kind.QUOTAS: QuotaItem,
    Kind.FX_RATES: FxRateItem,
}

# The fields that identify an item of each kind: a batch or file names each key once.
ITEM_KEYS: dict[str, tuple[str, ...]] = {
    "participants": ("external_id",),
    "assignments": ("participant", "valid_from"),
    "deals": ("external_id",),
    "activities": ("external_id",),
    "plan_assignments": ("participant", "team", "plan", "valid_from"),
    "quotas": ("participant", "period", "measure"),
    "fx_rates": ("currency", "to_currency", "date"),
}

T = TypeVar("T", bound=Item)

_PATH = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)


# msgspec names a missing or unknown field in its message, at the path of the object.
_NAMED = re.compile(r"^Object (?:missing required|contains unknown) field `(?P<name>[^`]+)`$")


def _field_of(path: str, message: str) -> str:
    # msgspec paths look like ".splits[0].percent"; the API names fields without the dot.
    named = _NAMED.match(message)
    if named:
        path = f"{path}.{named.group('name')}"
    return path.lstrip(".") or "(item)"


def convert_items(raw_items: list[Any], item_type: type[T]) -> tuple[list[T], list[ItemProblem]]:
    """Convert decoded JSON objects (or CSV rows) into items, collecting every bad item."""
    try:  # One call for the whole batch is fast; item by item only to name the bad ones.
        return msgspec.convert(raw_items, list[item_type], strict=False, dec_hook=decode_hook), []  # type: ignore[valid-type]
    except msgspec.ValidationError:
        pass
    items: list[T] = []
    problems: list[ItemProblem] = []
    for index, raw in enumerate(raw_items):
        try:
            items.append(msgspec.convert(raw, item_type, strict=False, dec_hook=decode_hook))
        except msgspec.ValidationError as exc:
            match = _PATH.match(str(exc))
            assert match is not None
            path = match.group("path") or ""
            key = raw.get("external_id") if isinstance(raw, dict) else None
            problems.append(
                ItemProblem(
                    item=index,
                    key=key if isinstance(key, str) else None,
                    field=_field_of(path, match.group("message")),
                    message=match.group("message"),
                )
            )
    return items, problems
