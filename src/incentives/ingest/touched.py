"""Whose pay an applied ingest batch may change."""

from __future__ import annotations

import datetime as dt

import asyncpg
import msgspec

from incentives.ingest import upsert as up

# (participant, first day, last day or None for open-ended), both inclusive.
Span = tuple[int, dt.date, dt.date | None]

# Who a changed rate concerns: the owners and split partners of the deals in its currency
# that it converts (closed on or after it, before the pair's next rate), on their dates.
_RATED_DEALS = """
SELECT DISTINCT w.who, d.close_date, d.cancel_date
FROM unnest($1::text[], $2::text[], $3::date[]) AS r(currency, to_currency, on_date)
JOIN deals d ON d.currency = r.currency AND d.close_date >= r.on_date
 AND d.close_date < coalesce(
     (SELECT min(n.on_date) FROM fx_rates n WHERE n.currency = r.currency
      AND n.to_currency = r.to_currency AND n.on_date > r.on_date), 'infinity')
CROSS JOIN LATERAL (
    SELECT d.owner_id UNION SELECT s.participant_id FROM deal_splits s WHERE s.deal_id = d.id
) AS w(who)
"""

_TEAM_MEMBERS = """
SELECT DISTINCT team_id, participant_id FROM assignments WHERE team_id = ANY($1::bigint[])
"""


class Touched:
    """Participants whose pay an ingest may change, with the dates or periods concerned.

    Deals touch their owner and split partners (before and after the change) on the close
    and cancellation dates; activities their participant on the day; quotas their
    participant in the period; a rate the people whose deals it converts, on their dates.
    Participants (employment dates), assignments (the participant and both the old and
    the new manager) and plan assignments (the participant, or every member the team has
    had) touch people over spans of days. Managers up the rollup chain are added by the
    recompute.
    """

    def __init__(self) -> None:
        self.on_dates: set[tuple[int, dt.date]] = set()
        self.in_periods: set[tuple[int, str]] = set()
        self.over_spans: set[Span] = set()

    async def note(self, conn: asyncpg.Connection, kind: str, outcome: up.Outcome) -> None:
        """Record what one applied batch touched (in its transaction, which sees it)."""
        changed = [(pid, r) for pid, r in outcome.created]
        changed += [(pid, r) for pid, old, new in outcome.updated for r in (old, new)]
        rows = [r for _, r in changed]
        if kind == "participants":
            for pid, row in changed:
                bounds = sorted({row["start_date"], row["end_date"]} - {None})
                if bounds:
                    self.over_spans.add((pid, bounds[0], bounds[-1]))
        elif kind == "assignments":
            for row in rows:
                for who in (row["participant_id"], row["manager_id"]):
                    if who is not None:
                        self.over_spans.add((who, row["valid_from"], row["valid_to"]))
        elif kind == "plan_assignments":
            await self._plan_assignments(conn, rows)
        elif kind == "fx_rates":
            await self._rates(conn, rows)
        for row in rows:
            if kind == "deals":
                people = {row["owner_id"], *(pid for pid, _ in row["splits"])}
                days = {row["close_date"], row["cancel_date"]} - {None}
                self.on_dates |= {(p, d) for p in people for d in days}
            elif kind == "activities":
                self.on_dates.add((row["participant_id"], row["occurred_at"].date()))
            elif kind == "quotas":
                self.in_periods.add((row["participant_id"], row["period"]))

    async def _plan_assignments(self, conn: asyncpg.Connection, rows: list[up.Row]) -> None:
        teams = sorted({r["team_id"] for r in rows if r["team_id"] is not None})
        members: dict[int, set[int]] = {}
        for m in await conn.fetch(_TEAM_MEMBERS, teams) if teams else ():
            members.setdefault(m["team_id"], set()).add(m["participant_id"])
        for row in rows:
            people = members.get(row["team_id"], set()) | {row["participant_id"]}
            self.over_spans |= {
                (p, row["valid_from"], row["valid_to"]) for p in people if p is not None
            }

    async def _rates(self, conn: asyncpg.Connection, rows: list[up.Row]) -> None:
        if not rows:
            return
        columns = ("currency", "to_currency", "on_date")
        found = await conn.fetch(_RATED_DEALS, *([r[c] for r in rows] for c in columns))
        for r in found:
            self.on_dates |= {(r["who"], d) for d in (r["close_date"], r["cancel_date"]) if d}

    def people(self) -> set[int]:
        """Everyone touched, whenever."""
        return (
            {pid for pid, _ in self.on_dates}
            | {pid for pid, _ in self.in_periods}
            | {pid for pid, _, _ in self.over_spans}
        )

    def within(self, first: dt.date, last: dt.date) -> set[int]:
        """The people touched on a day of ``first``..``last``, or over a span meeting it."""
        return {pid for pid, day in self.on_dates if first <= day <= last} | {
            pid for pid, lo, hi in self.over_spans if lo <= last and (hi is None or hi >= first)
        }

    def __bool__(self) -> bool:
        return bool(self.on_dates or self.in_periods or self.over_spans)

    def encoded(self) -> bytes:
        """As JSON, to be kept until the recompute it sets off is done."""
        return msgspec.json.encode(
            {
                "on_dates": sorted([p, d.isoformat()] for p, d in self.on_dates),
                "in_periods": sorted([p, label] for p, label in self.in_periods),
                "over_spans": sorted(
                    ([p, lo.isoformat(), hi and hi.isoformat()] for p, lo, hi in self.over_spans),
                    key=lambda s: (s[0], s[1], s[2] or ""),
                ),
            }
        )

    @classmethod
    def decoded(cls, raw: str | bytes) -> Touched:
        """What ``encoded`` wrote."""
        kept = msgspec.json.decode(raw, type=_Kept)
        touched = cls()
        touched.on_dates = {(p, d) for p, d in kept.on_dates}
        touched.in_periods = {(p, label) for p, label in kept.in_periods}
        touched.over_spans = {(p, lo, hi) for p, lo, hi in kept.over_spans}
        return touched


class _Kept(msgspec.Struct):
    on_dates: list[tuple[int, dt.date]]
    in_periods: list[tuple[int, str]]
    # Absent from what was kept before spans were.
    over_spans: list[tuple[int, dt.date, dt.date | None]] = msgspec.field(default_factory=list)
