"""A credit row with its deal's fields, as the engine's pacing reads it."""

from __future__ import annotations

from decimal import Decimal

import asyncpg

from incentives.engine.pacing import CreditedDeal

# What credited_deal reads, from ``credit_rows c JOIN deals d``.
CREDITED_COLUMNS = "d.close_date, c.amount, c.share, d.product, d.status, d.currency, d.attributes"


def credited_deal(row: asyncpg.Record) -> CreditedDeal:
    """A credit joined with its deal (at least ``CREDITED_COLUMNS``) as a CreditedDeal."""
    return CreditedDeal(
        close_date=row["close_date"],
        credited=Decimal(row["amount"]),
        share=Decimal(row["share"]),
        product=row["product"] or "",
        status=row["status"],
        currency=row["currency"],
        attributes={k: str(v) for k, v in (row["attributes"] or {}).items()},
    )
