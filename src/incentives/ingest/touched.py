"""Whose pay an applied ingest batch may change."""

from __future__ import annotations

import datetime as dt

import msgspec

from incentives.ingest import upsert as up


class Touched:
    """Participants whose pay an ingest may change, with the dates or periods concerned.

    Deals touch their owner and split partners (before and after the change) on the close
    and cancellation dates; activities their participant on the day; quotas their
    participant in the period. Managers up the rollup chain are added by the recompute.
    """

    def __init__(self) -> None:
        self.on_dates: set[tuple[int, dt.date]] = set()
        self.in_periods: set[tuple[int, str]] = set()

    def note(self, kind: str, outcome: up.Outcome) -> None:
        """Record what one applied batch touched."""
        rows = [r for _, r in outcome.created]
        rows += [r for _, old, new in outcome.updated for r in (old, new)]
        for row in rows:
            if kind == "deals":
                people = {row["owner_id"], *(pid for pid, _ in row["splits"])}
                days = {row["close_date"], row["cancel_date"]} - {None}
                self.on_dates |= {(p, d) for p in people for d in days}
            elif kind == "activities":
                self.on_dates.add((row["participant_id"], row["occurred_at"].date()))
            elif kind == "quotas":
                self.in_periods.add((row["participant_id"], row["period"]))

    def __bool__(self) -> bool:
        return bool(self.on_dates or self.in_periods)

    def encoded(self) -> bytes:
        """As JSON, to be kept until the recompute it sets off is done."""
        return msgspec.json.encode(
            {
                "on_dates": sorted([p, d.isoformat()] for p, d in self.on_dates),
                "in_periods": sorted([p, label] for p, label in self.in_periods),
            }
        )

    @classmethod
    def decoded(cls, raw: str | bytes) -> Touched:
        """What ``encoded`` wrote."""
        kept = msgspec.json.decode(raw, type=_Kept)
        touched = cls()
        touched.on_dates = {(p, d) for p, d in kept.on_dates}
        touched.in_periods = {(p, label) for p, label in kept.in_periods}
        return touched


class _Kept(msgspec.Struct):
    on_dates: list[tuple[int, dt.date]]
    in_periods: list[tuple[int, str]]
