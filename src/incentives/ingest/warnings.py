"""Warnings about incoming values that no plan condition can match, though one nearly does.

Conditions match exactly, so ``"platform"`` never meets a plan's ``"Platform"``. Ingest
still accepts such items (pay is unchanged by this module), but says so. To stay quiet
about the many values plans simply do not care about, only *near* misses warn:

* a value (``product``, an activity ``type``, a text attribute) is near a value the plans
  name for that field when both are the same after ``normalise`` (case, ``_``, ``-`` and
  white space ignored) and differ as given;
* an attribute key no plan reads is near a key the plans read when both normalise the
  same, or are within edit distance 1 (keys of 4+ characters) or 2 (8+ characters), or
  when one key's words (split at ``_``, ``-``, spaces and case changes) are the last words
  of the other's, e.g. ``type`` and ``deal_type``.

Values far from every known one, and keys no plan reads with no near spelling, give no
warning: most CRM fields are not read by any plan, and flagging them would be noise.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
import msgspec

from incentives.engine.conditions import is_attribute
from incentives.engine.plan import Effective
from incentives.engine.vocabulary import FieldValues, Vocabulary, merge
from incentives.ingest.items import ActivityItem, DealItem, Item

# How ingest finds what the rules in force between two dates (inclusive) name: per
# commission plan or contest, the days it covers and its vocabulary. The caller passes
# ``incentives.plans.vocabulary.vocabularies_in_force``, which ingest cannot import itself
# without a package cycle (plans depends on games, which depends on ingest).
PlansInForce = Callable[
    [asyncpg.Connection, dt.date, dt.date], Awaitable[list[tuple[Effective, Vocabulary]]]
]


class WarningReason(enum.StrEnum):
    """Why an accepted item was warned about."""

    NEAR_VALUE = "near_value"
    """The value differs from one the plans name only by case or separators."""
    NEAR_KEY = "near_key"
    """No plan reads this attribute key, but plans read a key spelt nearly the same."""
    NO_RATE = "no_rate"
    """A won deal in a currency with no rate into its owner's on or before its close date:
    it is not paid until the rate is loaded, which pays it."""


class IngestWarning(msgspec.Struct, frozen=True):
    """An accepted item with a value that no plan in force matches, though one nearly does."""

    item: int
    """Index of the item in the batch."""
    key: str | None
    """The item's external id."""
    field: str
    """``product``, ``type``, ``attributes.<key>`` (a value) or ``attributes`` (a key)."""
    value: str
    """The value (or attribute key) as given."""
    known: list[str]
    """What the plans in force name for that field (or the attribute keys they read); for
    ``no_rate``, the currency the deal needs a rate into."""
    reason: WarningReason
    message: str


_SEPARATORS = re.compile(r"[\s_\-]+")
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def normalise(text: str) -> str:
    """``text`` compared loosely: case folded, white space, ``_`` and ``-`` removed."""
    return _SEPARATORS.sub("", text).casefold()


def _words(text: str) -> list[str]:
    return [w.casefold() for part in _SEPARATORS.split(text) for w in _WORDS.findall(part)]


def _distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, or ``limit + 1`` once it is known to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def near_values(value: str, known: Sequence[str] | frozenset[str]) -> list[str]:
    """Known values ``value`` nearly matches (same once normalised); none if it matches one
    exactly, since then a condition does match it."""
    if value in known:
        return []
    loose = normalise(value)
    return sorted(k for k in known if normalise(k) == loose)


def near_keys(key: str, known: Sequence[str] | frozenset[str]) -> list[str]:
    """Known attribute keys ``key`` is a near spelling of; none if it is itself known."""
    if key in known:
        return []
    return list(_near_keys(key, tuple(sorted(known))))


# A batch asks about the same few keys (a CRM export's columns) for every row: each is
# compared with the known keys once, not once per row.
@functools.lru_cache(maxsize=4096)
def _near_keys(key: str, known: tuple[str, ...]) -> tuple[str, ...]:
    loose, words = normalise(key), _words(key)
    found = []
    for other in known:
        other_loose, other_words = normalise(other), _words(other)
        shorter = min(len(loose), len(other_loose))
        limit = 2 if shorter >= 8 else 1 if shorter >= 4 else 0
        tail = min(len(words), len(other_words))
        if (
            loose == other_loose
            or (limit and _distance(loose, other_loose, limit) <= limit)
            or (tail and shorter >= 4 and words[-tail:] == other_words[-tail:])
        ):
            found.append(other)
    return tuple(found)


def _value_warnings(
    index: int, item: Item, field: str, value: Any, known: frozenset[str] | None
) -> list[IngestWarning]:
    if not isinstance(value, str) or not known:
        return []
    near = near_values(value, known)
    if not near:
        return []
    message = f"{value!r} matches no plan exactly; plans name {', '.join(map(repr, near))}"
    return [
        IngestWarning(
            item=index,
            key=getattr(item, "external_id", None),
            field=field,
            value=value,
            known=sorted(known),
            reason=WarningReason.NEAR_VALUE,
            message=message,
        )
    ]


def item_warnings(
    index: int, item: Item, builtin: dict[str, Any], fields: FieldValues
) -> list[IngestWarning]:
    """Warnings for one item: its built-in text fields (``builtin``) and its attributes,
    against the fields and values the plans in force read from its source."""
    found: list[IngestWarning] = []
    for field, value in builtin.items():
        found += _value_warnings(index, item, field, value, fields.get(field))
    attributes: dict[str, Any] = getattr(item, "attributes", {})
    # Only attribute fields: a plan reading a deal's built-in ``amount`` or ``status`` does
    # not read an attribute of that name, so an attribute ``Amount`` is no near miss.
    source = "deals" if isinstance(item, DealItem) else "activities"
    read = sorted(k for k in fields if is_attribute(source, k))
    for key, value in attributes.items():
        if key in read:
            found += _value_warnings(index, item, f"attributes.{key}", value, fields[key])
            continue
        near = near_keys(key, read)
        if near:
            found.append(
                IngestWarning(
                    item=index,
                    key=getattr(item, "external_id", None),
                    field="attributes",
                    value=key,
                    known=read,
                    reason=WarningReason.NEAR_KEY,
                    message=(
                        f"no plan reads attribute {key!r}; plans read {', '.join(map(repr, near))}"
                    ),
                )
            )
    return found


def _on(item: Item) -> dt.date | None:
    if isinstance(item, DealItem):
        return item.close_date
    if isinstance(item, ActivityItem):
        return item.occurred_at.date()
    return None


async def batch_warnings(
    conn: asyncpg.Connection, items: Sequence[Item], plans_in_force: PlansInForce
) -> list[IngestWarning]:
    """Warnings for a batch of deals or activities (other kinds have none), each item
    against the plans and contests in force on its date (a deal's close date, an
    activity's day)."""
    dates = [d for d in map(_on, items) if d is not None]
    if not dates:
        return []
    rules = await plans_in_force(conn, min(dates), max(dates))
    by_date: dict[dt.date, Vocabulary] = {}
    found: list[IngestWarning] = []
    for index, item in enumerate(items):
        on = _on(item)
        if on is None:
            continue
        if on not in by_date:
            by_date[on] = merge(v for days, v in rules if days.from_ <= on <= days.to)
        if isinstance(item, DealItem):
            builtin: dict[str, Any] = {"product": item.product}
            fields = by_date[on].deals
        else:
            assert isinstance(item, ActivityItem)
            builtin, fields = {"type": item.type}, by_date[on].activities
        found += item_warnings(index, item, builtin, fields)
    return found


# The batch's won deals whose currency has no rate into their owner's currency (what the
# owner is paid in) on or before their close date, by position in the batch.
_UNRATED = """
SELECT k.i::int - 1 AS item, d.currency, p.currency AS to_currency, d.close_date
FROM unnest($1::text[]) WITH ORDINALITY AS k(external_id, i)
JOIN deals d ON d.external_id = k.external_id
JOIN participants p ON p.id = d.owner_id
WHERE d.currency <> p.currency AND d.status IN ('won', 'cancelled')
  AND NOT EXISTS (SELECT 1 FROM fx_rates r WHERE r.currency = d.currency
                  AND r.to_currency = p.currency AND r.on_date <= d.close_date)
ORDER BY k.i
"""


async def rate_warnings(conn: asyncpg.Connection, items: Sequence[DealItem]) -> list[IngestWarning]:
    """Warnings for the batch's stored deals that cannot be paid for want of an exchange
    rate: they are kept, reported by every run until the rate arrives, and paid then."""
    found = []
    for row in await conn.fetch(_UNRATED, [i.external_id for i in items]):
        pair, day = f"{row['currency']}→{row['to_currency']}", row["close_date"].isoformat()
        found.append(
            IngestWarning(
                item=row["item"],
                key=items[row["item"]].external_id,
                field="currency",
                value=row["currency"],
                known=[row["to_currency"]],
                reason=WarningReason.NO_RATE,
                message=f"no {pair} rate on or before {day}: not paid until one is loaded",
            )
        )
    return found
