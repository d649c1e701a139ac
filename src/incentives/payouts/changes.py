"""Each statement beside the same person's statement for the period before (same kind of
period, same currency), with the changes that deserve a second look flagged.

A change is an outlier when it is both large in proportion (at least half the previous
total) and large in money (at least 500 in the currency's major unit), so that a rep going
from 10.00 to 40.00 is not flagged, nor a 3% move on a large statement.
"""

from __future__ import annotations

import enum
from decimal import ROUND_HALF_UP, Decimal

import asyncpg
import msgspec

from incentives.engine.money import exponent, format_minor
from incentives.formats import CurrencyCode, Money, Ratio

RATIO = Decimal("0.5")
AMOUNT = Decimal(500)


class Flag(enum.StrEnum):
    """How a statement compares with the previous period's."""

    STEADY = "steady"
    NEW = "new"  # nothing paid to this person in this currency the period before
    JUMP = "jump"  # up by an outlier
    DROP = "drop"  # down by an outlier
    FIRST = "first"  # no earlier period of this kind has been closed


def flag(current_minor: int, previous_minor: int | None, currency: str, *, first: bool) -> Flag:
    """The flag for a statement of ``current_minor`` after ``previous_minor`` (None: none)."""
    if first:
        return Flag.FIRST
    if previous_minor is None:
        return Flag.NEW
    change = current_minor - previous_minor
    floor = AMOUNT.scaleb(exponent(currency))
    if abs(change) < floor or abs(change) < RATIO * abs(previous_minor):
        return Flag.STEADY
    return Flag.JUMP if change > 0 else Flag.DROP


class Change(msgspec.Struct, kw_only=True):
    """A statement's total beside the previous period's: the change in money and as a
    fraction of the previous total (four places; None when there was nothing before)."""

    statement: int
    participant: str
    participant_name: str
    period: str
    currency: CurrencyCode
    total: Money
    previous_period: str | None
    previous_statement: int | None
    previous_total: Money | None
    change: Money | None
    change_fraction: Ratio | None
    flag: Flag


_CHANGES = """
WITH cur AS (
    SELECT s.id, s.participant_id, s.currency, s.total_minor, s.period,
           (SELECT b.label FROM periods b
            WHERE b.kind = q.kind AND b.start_date < q.start_date
            ORDER BY b.start_date DESC LIMIT 1) AS previous_period
    FROM statements s JOIN periods q ON q.label = s.period
    WHERE ($1::text IS NULL OR s.period = $1) AND ($2::bigint IS NULL OR s.id = $2)
      AND ($3::bigint[] IS NULL OR s.participant_id = ANY($3::bigint[]))
)
SELECT c.id, pa.external_id, pa.name, c.period, c.currency, c.total_minor,
       c.previous_period, ps.id AS previous_id, ps.total_minor AS previous_minor,
       pq.status = 'closed' AS previous_closed
FROM cur c
JOIN participants pa ON pa.id = c.participant_id
LEFT JOIN periods pq ON pq.label = c.previous_period
LEFT JOIN statements ps ON ps.period = c.previous_period
    AND ps.participant_id = c.participant_id AND ps.currency = c.currency
ORDER BY pa.name, c.currency
"""


def _change(row: asyncpg.Record) -> Change:
    currency, current, previous = row["currency"], row["total_minor"], row["previous_minor"]
    fraction = None
    if previous:
        fraction = (Decimal(current - previous) / abs(previous)).quantize(
            Decimal("0.0001"), ROUND_HALF_UP
        )
    return Change(
        statement=row["id"],
        participant=row["external_id"],
        participant_name=row["name"],
        period=row["period"],
        currency=currency,
        total=format_minor(current, currency),
        previous_period=row["previous_period"],
        previous_statement=row["previous_id"],
        previous_total=None if previous is None else format_minor(previous, currency),
        change=None if previous is None else format_minor(current - previous, currency),
        change_fraction=None if fraction is None else str(fraction),
        flag=flag(current, previous, currency, first=not row["previous_closed"]),
    )


async def changes(
    conn: asyncpg.Connection,
    *,
    visible: set[int] | None,
    period: str | None = None,
    statement_id: int | None = None,
) -> list[Change]:
    """Changes of the period's statements (or of one statement) the caller may see."""
    rows = await conn.fetch(
        _CHANGES, period, statement_id, None if visible is None else sorted(visible)
    )
    return [_change(r) for r in rows]
