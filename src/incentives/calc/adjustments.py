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
import msgspec

from incentives.calc.load import Loaded
from incentives.calc.persist import copy_lines
from incentives.calc.traces import AdjustmentTrace, DealChange
from incentives.engine.explain import money
from incentives.engine.money import from_minor
from incentives.engine.periods import Period, periods_between
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

    schedule: tuple[Period, ...]
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
        return [p.label for p in self.schedule if p.label in wanted]

    def period(self, label: str) -> Period:
        """The period with this label."""
        return next(p for p in self.schedule if p.label == label)


async def plan_calendar(
    conn: asyncpg.Connection, plan: CommissionPlan, run_periods: Sequence[Period]
) -> PlanCalendar:
    """The plan's closed periods up to the end of ``run_periods`` and where adjustments land.

    Read after the run holds its locks, so that a close finishing meanwhile is seen.
    """
    schedule = periods_between(
        plan.effective.from_, plan.effective.to, plan.period, plan.fiscal_year_starts
    )
    closed = {
        r["label"]
        for r in await conn.fetch(
            "SELECT label FROM periods WHERE label = ANY($1::text[]) AND status = 'closed'",
            [p.label for p in schedule],
        )
    }
    end = run_periods[-1].end
    return PlanCalendar(
        schedule=tuple(schedule),
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
    closed = set(calendar.closed)
    now: dict[Key, dict[str, int]] = defaultdict(dict)
    names: dict[tuple[str, str], str] = {}
    keys: dict[int, str] = {}
    for result in evaluation.results:
        if result.period not in closed:
            continue
        if not loaded.paid(result.participant_id, calendar.period(result.period)):
            continue
        pid = loaded.db_id(result.participant_id)
        if scope is not None and pid not in scope:
            continue
        keys[pid] = result.participant_id
        for line in result.lines:
            now[(pid, result.period)][line.component] = line.amount
            names[(result.period, line.component)] = line.name
    paid: dict[Key, dict[str, int]] = defaultdict(dict)
    for row in await conn.fetch(
        _PAID, evaluation.plan_key, list(calendar.closed), None if scope is None else sorted(scope)
    ):
        paid[(row["participant_id"], row["for_period"])][row["component"]] = row["amount"]
        if row["name"] is not None:
            names.setdefault((row["for_period"], row["component"]), row["name"])

    differences: dict[Key, dict[str, tuple[int, int]]] = {}
    for key in sorted(set(now) | set(paid), key=lambda k: (k[0], calendar.period(k[1]))):
        if key[1] not in closed:
            continue  # paid for a period outside this run's plan schedule
        earned, settled = now.get(key, {}), paid.get(key, {})
        changed = {
            component: (settled.get(component, 0), earned.get(component, 0))
            for component in sorted(set(earned) | set(settled))
            if earned.get(component, 0) != settled.get(component, 0)
        }
        if changed:
            differences[key] = changed
    if not differences:
        return []
    changes = await _deal_changes(conn, evaluation, calendar, differences, keys)
    currency = evaluation.currency
    adjustments = []
    for (pid, period), changed in differences.items():
        deal_changes = changes.get((pid, period), [])
        for component, (before, after) in changed.items():
            name = names.get((period, component), component)
            adjustments.append(
                Adjustment(
                    participant_id=pid,
                    component=component,
                    name=f"{name}: adjustment for {period}",
                    amount=after - before,
                    trace=AdjustmentTrace(
                        adjusts=period,
                        component=component,
                        paid=str(from_minor(before, currency)),
                        now=str(from_minor(after, currency)),
                        changes=deal_changes,
                        note=_note(period, name, before, after, currency, deal_changes),
                    ),
                )
            )
    return adjustments


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
    differences: dict[Key, dict[str, tuple[int, int]]],
    keys: dict[int, str],
) -> dict[Key, list[DealChange]]:
    """Per participant-period: deals whose credit differs from what was last paid for.

    What was last paid for is the credit frozen at close, updated by the deal changes
    each earlier adjustment for the period paid. Deals are keyed by database id, as the
    engine names them, and shown by external id.
    """
    pids = [pid for pid, _ in differences]
    periods = [period for _, period in differences]
    state: dict[Key, dict[int, Decimal]] = defaultdict(dict)
    for row in await conn.fetch(_FROZEN_CREDITS, evaluation.plan_key, pids, periods):
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
    now: dict[Key, dict[int, Decimal]] = {}
    for pid, period in differences:
        credits: dict[int, Decimal] = defaultdict(Decimal)
        if pid in keys:
            for credit in evaluation.credits(keys[pid], period):
                credits[int(credit.deal_id)] += credit.amount
        now[(pid, period)] = credits
    changed = {
        key: sorted(
            deal
            for deal in set(state.get(key, {})) | set(now[key])
            if state.get(key, {}).get(deal) != now[key].get(deal)
        )
        for key in differences
    }
    external = {
        r["id"]: r["external_id"]
        for r in await conn.fetch(
            "SELECT id, external_id FROM deals WHERE id = ANY($1::bigint[])",
            sorted({deal for deals in changed.values() for deal in deals}),
        )
    }
    out: dict[Key, list[DealChange]] = {}
    for key, deals in changed.items():
        before, after = state.get(key, {}), now[key]
        out[key] = sorted(
            (
                DealChange(
                    deal=external.get(deal, str(deal)),
                    deal_id=deal,
                    before=None if deal not in before else _plain(before[deal]),
                    after=None if deal not in after else _plain(after[deal]),
                )
                for deal in deals
            ),
            key=lambda c: c.deal,
        )
    return out


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


async def write_adjustments(
    conn: asyncpg.Connection,
    *,
    run_id: int,
    plan_version_id: int,
    plan_key: str,
    period: str,
    currency: str,
    adjustments: list[Adjustment],
) -> int:
    """Add the adjustment lines to ``period``'s results (just written by this run).

    A participant with nothing else in the period gets a result holding only them.
    """
    if not adjustments:
        return 0
    pids = sorted({a.participant_id for a in adjustments})
    await conn.execute(
        "INSERT INTO participant_results (participant_id, plan_key, period, plan_version_id,"
        " run_id, currency, total_minor, measures, notes)"
        " SELECT pid, $2, $3, $4, $5, $6, 0, '[]', $7::jsonb FROM unnest($1::bigint[]) AS pid"
        " ON CONFLICT DO NOTHING",
        pids,
        plan_key,
        period,
        plan_version_id,
        run_id,
        currency,
        msgspec.json.encode(["Adjustments to closed periods only."]).decode(),
    )
    last = {
        r["participant_id"]: r["line_no"]
        for r in await conn.fetch(
            "SELECT participant_id, max(line_no) AS line_no FROM earning_lines"
            " WHERE plan_key = $1 AND period = $2 AND participant_id = ANY($3::bigint[])"
            " GROUP BY participant_id",
            plan_key,
            period,
            pids,
        )
    }
    rows = []
    totals: dict[int, int] = defaultdict(int)
    for adjustment in adjustments:
        pid = adjustment.participant_id
        last[pid] = last.get(pid, 0) + 1
        totals[pid] += adjustment.amount
        rows.append(
            (
                pid,
                plan_key,
                period,
                last[pid],
                adjustment.component,
                adjustment.name,
                adjustment.amount,
                currency,
                msgspec.json.encode(adjustment.trace).decode(),
                run_id,
            )
        )
    await copy_lines(conn, rows)
    await conn.execute(
        "UPDATE participant_results r SET total_minor = r.total_minor + t.amount"
        " FROM unnest($3::bigint[], $4::bigint[]) AS t(pid, amount)"
        " WHERE r.participant_id = t.pid AND r.plan_key = $1 AND r.period = $2",
        plan_key,
        period,
        list(totals),
        list(totals.values()),
    )
    return len(rows)
