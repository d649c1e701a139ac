"""A hand-written numpy computation of the benchmark plan's per-participant totals.

It hard-codes plans/account-executive.yaml with two rollup levels: quarters of 2026; won
(and later cancelled) deals, EUR converted at the month's rate; splits; two levels of
managers; Platform and Analytics x1.5; graduated 8% / 12% above 100% / 15% above 150% of
the prorated quota, capped at twice a quarter's target incentive; $500 per new-business
deal; 90-day clawback by recomputing the close quarter; recoverable $6,000 draw for a new
hire's first two quarters, recovered at most $3,000 a quarter. All integer arithmetic:
credit is counted in units of 1/2,000,000 of a cent (split millionths times 2 or 3 halves).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

from bench.engine.generate import EUR_RATES
from incentives.engine.tables import Inputs

I64 = npt.NDArray[np.int64]
QUARTER_STARTS = [dt.date(2026, m, 1).toordinal() for m in (1, 4, 7, 10)]
QUARTER_ENDS = [
    dt.date(2026, 3, 31),
    dt.date(2026, 6, 30),
    dt.date(2026, 9, 30),
    dt.date(2026, 12, 31),
]
UNIT = 2_000_000  # credit units per cent
CAP = 2 * 4_000_000 * 3 // 12  # twice a quarter of the 40,000.00 target, in cents
DRAW, MAX_RECOVERY = 600_000, 300_000


def _half_up(numerator: I64, denominator: int) -> I64:
    return (2 * numerator + denominator) // (2 * denominator)


def totals(inputs: Inputs) -> I64:
    """Total pay per participant over the four quarters, in cents."""
    deals, people = inputs.deals, inputs.participants
    ends = np.array([d.toordinal() for d in QUARTER_ENDS])
    amount = deals.amount.copy()
    eur = deals.currency.codes == deals.currency.labels.index("EUR")
    year_start = QUARTER_STARTS[0]
    month_of_day = np.array([dt.date.fromordinal(year_start + i).month - 1 for i in range(365)])
    num = np.array([n for n, _ in EUR_RATES])[month_of_day[deals.close_day[eur] - year_start]]
    amount[eur] = (2 * amount[eur] * num + 10000) // 20000
    status = deals.status
    won = status.codes == status.labels.index("won")
    cancelled = status.codes == status.labels.index("cancelled")
    eligible = won | cancelled

    has_split = np.zeros(len(deals), bool)
    has_split[inputs.splits.deal] = True
    own = np.flatnonzero(eligible & ~has_split)
    split_rows = np.flatnonzero(eligible[inputs.splits.deal])
    deal = np.concatenate([own, inputs.splits.deal[split_rows]])
    person = np.concatenate([deals.owner[own], inputs.splits.participant[split_rows]]).astype(
        np.int64
    )
    share = np.concatenate([np.full(len(own), 1_000_000), inputs.splits.share[split_rows]])
    employed = deals.close_day[deal] >= people.start_day[person]
    deal, person, share = deal[employed], person[employed], share[employed]
    manager = np.full(len(people), -1, np.int64)
    manager[inputs.assignments.participant] = inputs.assignments.manager
    level1 = manager[person]
    level2 = np.where(level1 >= 0, manager[np.maximum(level1, 0)], -1)
    keep1, keep2 = level1 >= 0, level2 >= 0
    deal = np.concatenate([deal, deal[keep1], deal[keep2]])
    share = np.concatenate([share, share[keep1], share[keep2]])
    person = np.concatenate([person, level1[keep1], level2[keep2]])

    strategic = np.isin(
        deals.product.codes, [deals.product.labels.index(p) for p in ("Platform", "Analytics")]
    )
    new = deals.attributes["deal_type"].codes == deals.attributes["deal_type"].labels.index(
        "new_business"
    )
    value = amount[deal] * share * np.where(strategic[deal], 3, 2)
    spiff = np.where(new[deal], share, 0)
    close_q = np.searchsorted(QUARTER_STARTS, deals.close_day[deal], side="right") - 1
    cancel_day = deals.cancel_day[deal]
    reversed_ = (
        cancelled[deal] & (cancel_day - deals.close_day[deal] <= 90) & (cancel_day <= ends[-1])
    )
    cancel_q = np.searchsorted(QUARTER_STARTS, cancel_day, side="right") - 1

    n = len(people)
    v = np.zeros((n, 4), np.int64)
    s = np.zeros((n, 4), np.int64)
    np.add.at(v, (person, close_q), value)
    np.add.at(s, (person, close_q), spiff)
    # Removed credit by (participant, close quarter, cancel quarter).
    rv = np.zeros((n, 4, 4), np.int64)
    rs = np.zeros((n, 4, 4), np.int64)
    r = np.flatnonzero(reversed_)
    np.add.at(rv, (person[r], close_q[r], cancel_q[r]), value[r])
    np.add.at(rs, (person[r], close_q[r], cancel_q[r]), spiff[r])

    start = people.start_day.astype(np.int64)
    quota = np.array(
        [[inputs.quotas[(p, f"2026-Q{k + 1}", "bookings")] for k in range(4)] for p in range(n)]
    )
    days = np.array([ends[k] - QUARTER_STARTS[k] + 1 for k in range(4)])
    active = np.clip(
        ends[None, :] - np.maximum(start[:, None], np.array(QUARTER_STARTS)[None, :]) + 1, 0, None
    )
    prorated = (2 * quota * active + days) // (2 * days)  # half-up of quota x active / days
    quota = np.where(active >= days, quota, prorated)

    def earned(credit: I64, deals_new: I64, q: I64) -> I64:
        q2 = q * UNIT
        tiered = (
            8 * np.minimum(credit, q2)
            + 12 * np.clip(credit - q2, 0, q2 // 2)
            + 15 * np.maximum(credit - q2 * 3 // 2, 0)
        )
        commission = _half_up(np.minimum(tiered, CAP * UNIT * 100), UNIT * 100)
        return commission + _half_up(deals_new * 50_000, 1_000_000)

    paid = earned(v, s, quota)
    net = paid.copy()
    removed_v = np.zeros((n, 4), np.int64)
    removed_s = np.zeros((n, 4), np.int64)
    before = paid.copy()
    for j in range(4):
        removed_v += rv[:, :, j]
        removed_s += rs[:, :, j]
        after = earned(v - removed_v, s - removed_s, quota)
        net[:, j] += (after - before).sum(axis=1)
        before = after

    start_q = np.searchsorted(QUARTER_STARTS, start, side="right") - 1
    start_q = np.where(start < QUARTER_STARTS[0], -10, start_q)
    balance = np.zeros(n, np.int64)
    total = np.zeros(n, np.int64)
    for j in range(4):
        since = j - start_q
        applies = (since >= 0) & (since < 2)
        top_up = np.where(applies & (net[:, j] < DRAW), DRAW - net[:, j], 0)
        floor = np.where(applies, DRAW, 0)
        room = np.minimum(np.maximum(net[:, j] - floor, 0), MAX_RECOVERY)
        recovered = np.where(top_up > 0, 0, np.minimum(balance, room))
        balance = balance + top_up - recovered
        total += net[:, j] + top_up - recovered
    return total
