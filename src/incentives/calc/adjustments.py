"""Prior-period adjustments: what a late change to a closed period pays, in the open one.

A closed period never changes. A run still evaluates a plan's closed periods (running
attainment, draws and year-to-date figures carry them into the open ones), but writes only
the periods that are not closed; for each closed period it compares, per participant and
component, what the plan now says the period earned with what the period paid (its frozen
lines plus the adjustments already paid for it in later closed periods). Each difference
becomes an ``adjustment`` line in the plan's earliest period that is not closed, with a
trace naming the closed period and the deals whose credit changed since it last paid.
Once that period closes too, the lines are frozen with it, so a participant's periods
always add up to what the plan says they earned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import asyncpg

from incentives.calc.load import Loaded
from incentives.calc.traces import AdjustmentTrace, DealChange
from incentives.engine.adjust import PaidLine, credit_changes, differences
from incentives.engine.explain import money
from incentives.engine.money import from_minor
from incentives.engine.periods import Period, Schedule
from incentives.engine.plan import CommissionPlan
from incentives.engine.results import Evaluation, LineKind


@dataclass(frozen=True)
class PlanCalendar:
    """A plan's periods as the database has them, for one run.

    ``closed``: the plan's closed periods up to the run's end (evaluated, never written);
    ``writable``: the run's periods that are not closed; ``first_open``: the plan's earliest
    period that is not closed (None: all are), where adjustments land; ``target``: that
    period if this run writes it.
    """

    schedule: Schedule
    closed: tuple[str, ...]
    writable: tuple[str, ...]
    first_open: str | None

    @property
    def target(self) -> str | None:
        """Where this run writes adjustments: the first open period, if the run covers it."""
        return self.first_open if self.first_open in self.writable else None

    def evaluated(self) -> list[str]:
        """Labels the engine evaluates: the closed periods and the run's, in date order."""
        wanted = set(self.closed) | set(self.writable)
        return [label for label in self.schedule.labels if label in wanted]


async def plan_calendar(
    conn: asyncpg.Connection, plan: CommissionPlan, run_periods: Sequence[Period]
) -> PlanCalendar:
    """The plan's closed periods up to the end of ``run_periods`` and where adjustments land.

    Read after the run holds its locks, so that a close finishing meanwhile is seen.
    """
    schedule = plan.schedule
    closed = {
        r["label"]
        for r in await conn.fetch(
            "SELECT label FROM periods WHERE label = ANY($1::text[]) AND status = 'closed'",
            list(schedule.labels),
        )
    }
    end = run_periods[-1].end
    return PlanCalendar(
        schedule=schedule,
        closed=tuple(p.label for p in schedule if p.label in closed and p.end <= end),
        writable=tuple(p.label for p in run_periods if p.label not in closed),
        first_open=next((p.label for p in schedule if p.label not in closed), None),
    )


@dataclass(frozen=True)
class Adjustment:
    """An adjustment line for one participant (database id), in the plan's target period."""

    participant_id: int
    component: str
    name: str
    amount: int
    trace: AdjustmentTrace


# What a plan's closed periods paid, per participant, period and component: their frozen
# lines, plus the adjustments later closed periods paid for them.
_PAID = f"""
SELECT l.participant_id,
       CASE WHEN l.trace->>'kind' = '{LineKind.ADJUSTMENT}' THEN l.trace->>'adjusts'
           ELSE l.period END AS for_period,
       l.component,
       min(l.name) FILTER (WHERE l.trace->>'kind' IS DISTINCT FROM '{LineKind.ADJUSTMENT}') AS name,
       sum(l.amount_minor)::bigint AS amount
FROM earning_lines l
WHERE l.plan_key = $1 AND l.period = ANY($2::text[])
  AND ($3::bigint[] IS NULL OR l.participant_id = ANY($3::bigint[]))
GROUP BY 1, 2, 3
"""

# The deals credited to participant-periods as they closed.
_FROZEN_CREDITS = """
SELECT c.participant_id, c.period, c.deal_id, sum(c.amount) AS amount
FROM credit_rows c
WHERE c.plan_key = $1
  AND (c.participant_id, c.period) IN (SELECT * FROM unnest($2::bigint[], $3::text[]))
GROUP BY 1, 2, 3
"""

# Deal changes already paid for by earlier adjustments, oldest first.
_PAID_CHANGES = f"""
SELECT DISTINCT ON (l.participant_id, l.trace->>'adjusts', l.period)
       l.participant_id, l.trace->>'adjusts' AS for_period, l.trace->'changes' AS changes,
       p.start_date
FROM earning_lines l JOIN periods p ON p.label = l.period
WHERE l.plan_key = $1 AND l.period = ANY($2::text[]) AND l.trace->>'kind' = '{LineKind.ADJUSTMENT}'
  AND l.participant_id = ANY($3::bigint[])
ORDER BY l.participant_id, l.trace->>'adjusts', l.period, l.line_no
"""

Key = tuple[int, str]  # participant id, period label


async def prior_period_adjustments(
    conn: asyncpg.Connection,
    *,
    evaluation: Evaluation,
    loaded: Loaded,
    calendar: PlanCalendar,
    scope: set[int] | None,
) -> list[Adjustment]:
    """The adjustments this run owes for the plan's closed periods (empty without any)."""
    if not calendar.closed:
        return []
    keys: dict[int, str] = {}
    earned = []
    for result in evaluation.results:
        if result.period not in calendar.closed:
            continue
        if not loaded.inputs.paid(result.participant_id, calendar.schedule.period(result.period)):
            continue
        pid = loaded.db_id(result.participant_id)
        if scope is None or pid in scope:
            keys[pid] = result.participant_id
            earned.append((pid, result))
    rows = await conn.fetch(
        _PAID, evaluation.plan_key, list(calendar.closed), None if scope is None else sorted(scope)
    )
    paid = [
        PaidLine(r["participant_id"], r["for_period"], r["component"], r["name"], r["amount"])
        for r in rows
    ]
    found = differences(earned, paid, calendar.closed)
    if not found:
        return []
    changes = await _deal_changes(
        conn, evaluation, calendar, sorted({(d.participant, d.period) for d in found}), keys
    )
    currency = evaluation.currency
    return [
        Adjustment(
            participant_id=d.participant,
            component=d.component,
            name=f"{d.name}: adjustment for {d.period}",
            amount=d.now - d.paid,
            trace=AdjustmentTrace(
                adjusts=d.period,
                component=d.component,
                paid=str(from_minor(d.paid, currency)),
                now=str(from_minor(d.now, currency)),
                changes=changes[(d.participant, d.period)],
                note=_note(
                    d.period, d.name, d.paid, d.now, currency, changes[(d.participant, d.period)]
                ),
            ),
        )
        for d in found
    ]


def _note(
    period: str,
    name: str,
    before: int,
    after: int,
    currency: str,
    changes: list[DealChange],
) -> str:
    """The adjustment in plain words, for the explanation endpoint."""
    text = (
        f"{period} is closed. It paid {money(from_minor(before, currency), currency)} for"
        f" {name}, which now comes to {money(from_minor(after, currency), currency)}; the"
        " difference is paid here."
    )
    if changes:
        text += " Deals changed since: " + "; ".join(_change_text(c, currency) for c in changes)
        text += "."
    return text


def adjustment_words(trace: AdjustmentTrace, currency: str) -> list[str]:
    """An adjustment line explained: the closed period it adjusts, what that period paid
    and what it comes to now, and each deal whose credit to it changed."""
    paid, now = Decimal(trace.paid), Decimal(trace.now)
    out = [
        f"{trace.adjusts} is closed: it paid {money(paid, currency)} for this and now comes to"
        f" {money(now, currency)}; the difference, {money(now - paid, currency)}, is paid here."
    ]
    if trace.changes:
        out.append(f"Deals whose credit to {trace.adjusts} changed:")
        out.extend(f"  {_change_text(c, currency)}" for c in trace.changes)
    return out


def _change_text(change: DealChange, currency: str) -> str:
    before, after = change.before, change.after
    if after is None:
        assert before is not None  # a change has a credit on one side at least
        return f"{change.deal} removed ({money(Decimal(before), currency)})"
    if before is None:
        return f"{change.deal} added ({money(Decimal(after), currency)})"
    return (
        f"{change.deal} from {money(Decimal(before), currency)}"
        f" to {money(Decimal(after), currency)}"
    )


async def _deal_changes(
    conn: asyncpg.Connection,
    evaluation: Evaluation,
    calendar: PlanCalendar,
    wanted: list[Key],
    keys: dict[int, str],
) -> dict[Key, list[DealChange]]:
    """Per participant-period: deals whose credit differs from what was last paid for.

    What was last paid for is the credit frozen at close, updated by the deal changes
    each earlier adjustment for the period paid. Deals are keyed by database id, as the
    engine names them, and shown by external id.
    """
    pids = [pid for pid, _ in wanted]
    state: dict[Key, dict[int, Decimal]] = defaultdict(dict)
    for row in await conn.fetch(_FROZEN_CREDITS, evaluation.plan_key, pids, [p for _, p in wanted]):
        state[(row["participant_id"], row["period"])][row["deal_id"]] = row["amount"]
    for row in sorted(
        await conn.fetch(_PAID_CHANGES, evaluation.plan_key, list(calendar.closed), pids),
        key=lambda r: r["start_date"],
    ):
        credited = state[(row["participant_id"], row["for_period"])]
        for change in row["changes"] or ():
            if change["after"] is None:
                credited.pop(change["deal_id"], None)
            else:
                credited[change["deal_id"]] = Decimal(change["after"])
    changed = {}
    for pid, period in wanted:
        now: dict[int, Decimal] = defaultdict(Decimal)
        if pid in keys:
            for credit in evaluation.credits(keys[pid], period):
                now[int(credit.deal_id)] += credit.amount
        changed[(pid, period)] = credit_changes(state.get((pid, period), {}), now)
    external = {
        r["id"]: r["external_id"]
        for r in await conn.fetch(
            "SELECT id, external_id FROM deals WHERE id = ANY($1::bigint[])",
            sorted({c.deal for found in changed.values() for c in found}),
        )
    }
    return {
        key: sorted(
            (
                DealChange(
                    deal=external.get(c.deal, str(c.deal)),
                    deal_id=c.deal,
                    before=None if c.before is None else _plain(c.before),
                    after=None if c.after is None else _plain(c.after),
                )
                for c in found
            ),
            key=lambda c: c.deal,
        )
        for key, found in changed.items()
    }


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"
