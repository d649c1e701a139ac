"""The earnings estimator: what a rep would earn if they closed these deals. Stores nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import math
import time
from typing import Annotated

import asyncpg
import msgspec
import numpy as np

from incentives import errors
from incentives.bounds import Amount, Label, Word
from incentives.calc.load import load
from incentives.engine.evaluate import evaluate
from incentives.engine.money import MoneyError, format_minor, to_minor
from incentives.engine.results import Evaluation
from incentives.engine.tables import Categories, DealTable, Inputs
from incentives.engine.vocabulary import plan_vocabulary
from incentives.formats import CurrencyCode, Money
from incentives.plans.publish import in_force


class HypotheticalDeal(msgspec.Struct, forbid_unknown_fields=True):
    """A deal the rep might close (won, owned by them alone)."""

    amount: Amount
    close_date: dt.date
    currency: Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")] | None = None
    product: Label = ""
    attributes: Annotated[dict[Word, Label], msgspec.Meta(max_length=100)] = msgspec.field(
        default_factory=dict
    )


class EstimateError(errors.InvalidField, ValueError):
    """A hypothetical deal that cannot be priced: ``EstimateError("deals[0].amount", why)``."""


def _minor(index: int, deal: HypotheticalDeal, currency: str) -> int:
    field = f"deals[{index}].amount"
    if deal.amount <= 0:
        raise EstimateError(field, "must be above zero")
    try:
        return to_minor(deal.amount, currency)
    except MoneyError as exc:
        raise EstimateError(field, str(exc)) from exc


class PeriodEstimate(msgspec.Struct):
    """A plan's pay for a period now and with the deals closed."""

    plan: str
    period: str
    currency: CurrencyCode
    current: Money
    with_deals: Money
    difference: Money


class Estimate(msgspec.Struct):
    """The estimate, period by period; nothing was stored."""

    participant: str
    deals: int
    periods: list[PeriodEstimate]


def _merged(column: Categories, extra: list[str]) -> Categories:
    labels = tuple(sorted(set(column.labels) | set(extra)))
    lookup = {label: code for code, label in enumerate(labels)}
    remap = np.array([lookup[label] for label in column.labels], dtype=np.int32)
    old = remap[column.codes] if len(column.codes) else column.codes
    new = np.array([lookup[v] for v in extra], dtype=np.int32)
    return Categories(np.concatenate([old, new]).astype(np.int32), labels)


def with_deals(
    inputs: Inputs, owner_row: int, deals: list[tuple[HypotheticalDeal, str, int]]
) -> Inputs:
    """The inputs plus won deals owned by ``owner_row`` (amounts in minor units)."""
    table = inputs.deals
    n = len(deals)
    names = set(table.attributes) | {k for d, _, _ in deals for k in d.attributes}
    extra_ids = np.arange(-1, -n - 1, -1, dtype=np.int64)
    merged = DealTable(
        ids=np.concatenate([np.asarray(table.ids, dtype=np.int64), extra_ids]),
        owner=np.concatenate([table.owner, np.full(n, owner_row, dtype=np.int32)]),
        amount=np.concatenate([table.amount, np.array([m for _, _, m in deals], np.int64)]),
        currency=_merged(table.currency, [c for _, c, _ in deals]),
        close_day=np.concatenate(
            [table.close_day, np.array([d.close_date.toordinal() for d, _, _ in deals], np.int32)]
        ),
        status=_merged(table.status, ["won"] * n),
        product=_merged(table.product, [d.product for d, _, _ in deals]),
        cancel_day=np.concatenate([table.cancel_day, np.zeros(n, dtype=np.int32)]),
        attributes={
            name: _merged(
                table.attributes.get(name, Categories(np.full(len(table), 0, np.int32), ("",))),
                [d.attributes.get(name, "") for d, _, _ in deals],
            )
            for name in sorted(names)
        },
    )
    return dataclasses.replace(inputs, deals=merged)


def _priced_or_refused(evaluation: Evaluation) -> None:
    """Refuse a hypothetical deal (ids -1, -2, … for deals[0], [1], …) that the plan could
    not convert: an estimate leaving it out would look like a deal that earns nothing.
    The rep's own unconvertible deals are left out of both sides, as in their pay."""
    for deal in evaluation.unpaid:
        index = -int(deal.deal_id) - 1
        if index >= 0:
            raise EstimateError(f"deals[{index}].currency", f"cannot be paid yet: {deal.reason}")


async def estimate(
    conn: asyncpg.Connection,
    participant_id: int,
    deals: list[HypotheticalDeal],
    *,
    budget: float = math.inf,
) -> Estimate:
    """Evaluate every plan in force over the deals' fiscal years, without and with them;
    EstimateError if that takes longer than ``budget`` seconds (checked between plans)."""
    deadline = time.monotonic() + budget
    person = await conn.fetchrow(
        "SELECT external_id, currency FROM participants WHERE id = $1", participant_id
    )
    assert person is not None
    priced = [(d, d.currency or person["currency"]) for d in deals]
    extra = [(d, c, _minor(i, d, c)) for i, (d, c) in enumerate(priced)]
    first = min(d.close_date for d in deals)
    last = max(d.close_date for d in deals)
    out: list[PeriodEstimate] = []
    for _, plan in sorted(await in_force(conn, first, last), key=lambda p: p[1].key):
        schedule = plan.schedule.periods
        touched = [p for p in schedule if any(p.start <= d.close_date <= p.end for d in deals)]
        if not touched:
            continue
        if time.monotonic() > deadline:
            raise EstimateError(
                "deals", f"the estimate takes longer than {budget * 1000:.0f} ms; ask for fewer"
            )
        # Later periods of the year can move too (draws, year-to-date true-ups).
        labels = [p.label for p in schedule if p.start >= touched[0].start]
        loaded = await load(conn, plan, schedule[-1].end, scope={participant_id})
        key = person["external_id"]
        row = loaded.inputs.participants.index[key]
        before = await asyncio.to_thread(evaluate, plan, loaded.inputs, labels)
        after = await asyncio.to_thread(
            evaluate, plan, with_deals(loaded.inputs, row, extra), labels
        )
        _priced_or_refused(after)
        now = {r.period: r.total for r in before.results if r.participant_id == key}
        then = {r.period: r.total for r in after.results if r.participant_id == key}
        currency = plan.payout_currency
        for label in labels:
            if loaded.inputs.paid(key, plan.schedule.period(label)) and (
                label in now or label in then
            ):
                a, b = now.get(label, 0), then.get(label, 0)
                out.append(
                    PeriodEstimate(
                        plan.key,
                        label,
                        currency,
                        format_minor(a, currency),
                        format_minor(b, currency),
                        format_minor(b - a, currency),
                    )
                )
    return Estimate(participant=person["external_id"], deals=len(deals), periods=out)


class EstimateOptions(msgspec.Struct):
    """What the estimator offers: the products the participant's plans name or their own
    deals carry (sorted), the currency deals are priced in by default, and whether the
    participant has deals of their own (a manager paid only on rollups has none)."""

    products: list[str]
    currency: CurrencyCode
    own_deals: bool


async def options(conn: asyncpg.Connection, participant_id: int, day: dt.date) -> EstimateOptions:
    """The estimator's choices for a participant on ``day``."""
    currency = await conn.fetchval(
        "SELECT currency FROM participants WHERE id = $1", participant_id
    )
    named = {
        product
        for _, plan in await in_force(conn, day, day)
        for product in plan_vocabulary(plan).deals.get("product", frozenset())
    }
    own = await conn.fetch("SELECT DISTINCT product FROM deals WHERE owner_id = $1", participant_id)
    products = named | {r["product"] for r in own if r["product"]}
    return EstimateOptions(sorted(products), currency, bool(own))
