"""What waits for finance, across every closed period: statements at each step of the
payout workflow and disputes without a resolution, with counts and totals."""

from __future__ import annotations

import enum

import asyncpg
import msgspec

from incentives.engine.money import format_minor


class Stage(enum.StrEnum):
    """A step where statements wait for someone in finance to act."""

    TO_SUBMIT = "to_submit"  # drafts
    TO_APPROVE = "to_approve"  # submitted
    TO_EXPORT = "to_export"  # approved, never exported to payroll
    TO_PAY = "to_pay"  # approved and exported, not yet marked paid


class PeriodWork(msgspec.Struct):
    """One period's share of a stage: how many statements and their total per currency."""

    period: str
    statements: int
    totals: dict[str, str]


class StageWork(msgspec.Struct):
    """Statements waiting at one stage, newest period first."""

    stage: Stage
    statements: int
    totals: dict[str, str]
    periods: list[PeriodWork]


class DisputeWork(msgspec.Struct):
    """Disputes without a resolution: open ones await an answer, answered ones a decision."""

    open: int
    answered: int
    periods: dict[str, int]


class WorkQueue(msgspec.Struct):
    """Every stage in workflow order (empty ones included, so the order never shifts), and
    the disputes."""

    stages: list[StageWork]
    disputes: DisputeWork


_STATEMENTS = """
SELECT CASE
           WHEN s.status = 'draft' THEN 'to_submit'
           WHEN s.status = 'submitted' THEN 'to_approve'
           WHEN s.exported_at IS NULL THEN 'to_export'
           ELSE 'to_pay'
       END AS stage,
       s.period, s.currency, count(*) AS n, sum(s.total_minor) AS total
FROM statements s JOIN periods q ON q.label = s.period
WHERE s.status <> 'paid'
GROUP BY 1, s.period, s.currency, q.end_date, q.start_date
ORDER BY q.end_date DESC, q.start_date DESC, s.currency
"""

_DISPUTES = """
SELECT s.period, d.status, count(*) AS n
FROM disputes d JOIN statements s ON s.id = d.statement_id
JOIN periods q ON q.label = s.period
WHERE d.status IN ('open', 'answered')
GROUP BY s.period, d.status, q.end_date, q.start_date
ORDER BY q.end_date DESC, q.start_date DESC
"""


def _totals(minor: dict[str, int]) -> dict[str, str]:
    return {currency: format_minor(amount, currency) for currency, amount in minor.items()}


async def work_queue(conn: asyncpg.Connection) -> WorkQueue:
    """Counts and totals of what waits at each stage, per period and overall."""
    counts: dict[Stage, dict[str, int]] = {stage: {} for stage in Stage}
    sums: dict[Stage, dict[str, dict[str, int]]] = {stage: {} for stage in Stage}
    for row in await conn.fetch(_STATEMENTS):
        stage, period = Stage(row["stage"]), row["period"]
        counts[stage][period] = counts[stage].get(period, 0) + row["n"]
        sums[stage].setdefault(period, {})[row["currency"]] = row["total"]
    stages = []
    for stage in Stage:
        overall: dict[str, int] = {}
        for by_currency in sums[stage].values():
            for currency, amount in by_currency.items():
                overall[currency] = overall.get(currency, 0) + amount
        stages.append(
            StageWork(
                stage=stage,
                statements=sum(counts[stage].values()),
                totals=_totals(dict(sorted(overall.items()))),
                periods=[
                    PeriodWork(period=p, statements=n, totals=_totals(sums[stage][p]))
                    for p, n in counts[stage].items()
                ],
            )
        )
    waiting = {"open": 0, "answered": 0}
    periods: dict[str, int] = {}
    for row in await conn.fetch(_DISPUTES):
        waiting[row["status"]] += row["n"]
        periods[row["period"]] = periods.get(row["period"], 0) + row["n"]
    return WorkQueue(
        stages=stages,
        disputes=DisputeWork(open=waiting["open"], answered=waiting["answered"], periods=periods),
    )
