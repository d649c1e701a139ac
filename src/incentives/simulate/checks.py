"""Ingest's rules over a simulation's data folder, so that simulate refuses what ingest
refuses, in the same words, at the file, line and column of the row.

The rows are checked as ingest items (``ingest.rules``); the messages are collected for
every file before any is reported, as a CSV import lists every problem of a file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import msgspec

from incentives.bounds import encode_hook
from incentives.ingest import rules
from incentives.ingest.csv_messages import friendly
from incentives.ingest.items import (
    ActivityItem,
    AssignmentItem,
    DealItem,
    FxRateItem,
    Item,
    ParticipantItem,
    QuotaItem,
    convert_items,
)


@dataclass(frozen=True)
class At:
    """A row's place in the data folder: its file and line (the header is line 1)."""

    file: Path
    line: int

    def says(self, column: str, message: str) -> str:
        """``message`` about ``column`` of this row, as simulate reports it."""
        return f"{self.file}: line {self.line}, column {column}: {message}"


# Item field → the simulation file's column, where the two differ.
PARTICIPANT_COLUMNS = {"external_id": "id"}
ASSIGNMENT_COLUMNS = {"participant": "participant_id", "manager": "manager_id"}
DEAL_COLUMNS = {"external_id": "id", "owner": "owner_id"}
ACTIVITY_COLUMNS = {"external_id": "id", "participant": "participant_id"}
QUOTA_COLUMNS = {"participant": "participant_id"}
# Rates are into the payout currency, which has no column of its own.
FX_RATE_COLUMNS = {"rate": "rate_to_payout_currency", "to_currency": "currency"}


@dataclass(frozen=True)
class Data:
    """Every row of a data folder as an ingest item, with where it is.

    ``payout`` is the plan's payout currency: target incentives, quotas and rates are in
    it. ``splits`` are the splits.csv rows of each deal, in the order of its ``splits``;
    ``stray_splits`` the rows naming a deal deals.csv lacks (where, and the deal id).
    """

    payout: str
    participants: Sequence[tuple[At, ParticipantItem]]
    targets: Mapping[At, Decimal]  # each participant's annual target incentive
    assignments: Sequence[tuple[At, AssignmentItem]]
    deals: Sequence[tuple[At, DealItem]]
    splits: Mapping[str, Sequence[At]]
    stray_splits: Sequence[tuple[At, str]]
    activities: Sequence[tuple[At, ActivityItem]]
    quotas: Sequence[tuple[At, QuotaItem]]
    fx_rates: Sequence[tuple[At, FxRateItem]]


class _Refusals:
    def __init__(self) -> None:
        self.found: list[tuple[At, str]] = []

    def add(self, at: At, column: str, message: str) -> None:
        self.found.append((at, at.says(column, message)))

    def shapes(self, rows: Sequence[tuple[At, Item]], columns: Mapping[str, str]) -> None:
        """Refuse what ingest's item types do: texts too long, a period not a period…"""
        if not rows:
            return
        raw = [msgspec.to_builtins(item, enc_hook=encode_hook) for _, item in rows]
        for problem in convert_items(raw, type(rows[0][1]))[1]:
            value = raw[problem.item].get(problem.field)
            message = friendly(problem.field, problem.message, value)
            self.add(rows[problem.item][0], columns.get(problem.field, problem.field), message)

    def fields(self, at: At, columns: Mapping[str, str], problems: list[rules.Problem]) -> None:
        for field, message in problems:
            self.add(at, columns.get(field, field), message)

    def repeats(self, rows: Iterable[tuple[At, tuple[str, ...]]], column: str) -> None:
        """Refuse a row whose key an earlier row of the file has, naming that line."""
        first: dict[tuple[str, ...], int] = {}
        for at, key in rows:
            if key in first:
                self.add(at, column, rules.repeated_key(" / ".join(key), first[key]))
            else:
                first[key] = at.line

    def known(self, at: At, column: str, ref: str, people: Mapping[str, int]) -> None:
        if ref not in people:
            self.add(at, column, rules.unknown_participant(ref))


def refusals(data: Data) -> list[str]:
    """Every refusal ingest would make of the data, each naming its file, line and column.

    As in a CSV import, values the item types refuse are told first, alone: the rules of
    meaning run once every row has its shape."""
    out = _Refusals()
    _shapes(out, data)
    if not out.found:
        _rules(out, data)
    return [text for _, text in sorted(out.found, key=lambda f: (str(f[0].file), f[0].line))]


def _shapes(out: _Refusals, data: Data) -> None:
    out.shapes(data.participants, PARTICIPANT_COLUMNS)
    out.shapes(data.assignments, ASSIGNMENT_COLUMNS)
    # A deal's splits are rows of their own file.
    out.shapes(
        [(at, msgspec.structs.replace(d, splits=None)) for at, d in data.deals], DEAL_COLUMNS
    )
    split_rows = [
        (at, split)
        for _, deal in data.deals
        for at, split in zip(data.splits.get(deal.external_id, ()), deal.splits or (), strict=True)
    ]
    out.shapes(split_rows, {"participant": "participant_id"})
    out.shapes(data.activities, ACTIVITY_COLUMNS)
    out.shapes(data.quotas, QUOTA_COLUMNS)
    out.shapes(data.fx_rates, FX_RATE_COLUMNS)


def _rules(out: _Refusals, data: Data) -> None:
    people = {item.external_id: n for n, (_, item) in enumerate(data.participants)}
    out.repeats(((at, (i.external_id,)) for at, i in data.participants), "id")
    for at, participant in data.participants:
        out.fields(at, PARTICIPANT_COLUMNS, rules.participant_problems(participant))
        target = rules.money(data.targets[at], data.payout, "target_incentive")[1]
        out.fields(at, PARTICIPANT_COLUMNS, target)
    _assignments(out, data.assignments, people)
    _deals(out, data, people)
    out.repeats(((at, (i.external_id,)) for at, i in data.activities), "id")
    for at, activity in data.activities:
        out.known(at, "participant_id", activity.participant, people)
        out.fields(at, ACTIVITY_COLUMNS, rules.activity_problems(activity))
    quota_keys = ((at, (i.participant, i.period, i.measure)) for at, i in data.quotas)
    out.repeats(quota_keys, "measure")
    for at, quota in data.quotas:
        out.known(at, "participant_id", quota.participant, people)
        out.fields(at, QUOTA_COLUMNS, rules.quota_problems(quota))
    out.repeats(((at, (i.currency, i.date.isoformat())) for at, i in data.fx_rates), "date")
    for at, rate in data.fx_rates:
        out.fields(at, FX_RATE_COLUMNS, rules.fx_rate_problems(rate))


def _assignments(
    out: _Refusals, rows: Sequence[tuple[At, AssignmentItem]], people: Mapping[str, int]
) -> None:
    out.repeats(((at, (i.participant, i.valid_from.isoformat())) for at, i in rows), "valid_from")
    for at, item in rows:
        out.known(at, "participant_id", item.participant, people)
        if item.manager is not None:
            out.known(at, "manager_id", item.manager, people)
        out.fields(at, ASSIGNMENT_COLUMNS, rules.assignment_problems(item))
    spans = [(i.participant, i.valid_from, i.valid_to) for _, i in rows]
    for index, message in rules.overlaps(spans, [], "assignment"):
        out.add(rows[index][0], "valid_from", message)
    _cycles(out, rows, people)


def _cycles(
    out: _Refusals, rows: Sequence[tuple[At, AssignmentItem]], people: Mapping[str, int]
) -> None:
    known = [
        (at, rules.Line(people[i.participant], i.valid_from, i.valid_to, people[i.manager]))
        for at, i in rows
        # Managing oneself is refused on its own (ingest checks cycles only after that).
        if i.manager is not None
        and i.manager != i.participant
        and i.participant in people
        and i.manager in people
    ]
    lines: dict[int, list[rules.Line]] = {}
    for _, line in known:
        lines.setdefault(line.participant, []).append(line)
    names = {n: ref for ref, n in people.items()}
    for at, line in known:
        cycle = rules.cycle_through(line, lines)
        if cycle is not None:
            out.add(at, "manager_id", rules.describe(cycle, names))


def _deals(out: _Refusals, data: Data, people: Mapping[str, int]) -> None:
    out.repeats(((at, (i.external_id,)) for at, i in data.deals), "id")
    for at, deal in data.deals:
        out.known(at, "owner_id", deal.owner, people)
        out.fields(at, DEAL_COLUMNS, rules.money(deal.amount, deal.currency)[1])
        problems = rules.deal_problems(deal)
        out.fields(at, DEAL_COLUMNS, [p for p in problems if not p[0].startswith("splits")])
        split_rows = data.splits.get(deal.external_id, ())
        splits = deal.splits or []
        for split_at, split in zip(split_rows, splits, strict=True):
            out.known(split_at, "participant_id", split.participant, people)
        for field, message in problems:
            if field.startswith("splits"):
                # "splits" is about the deal's splits as a whole: told at its first row.
                n = int(field[7:].split("]")[0]) if field.startswith("splits[") else 0
                out.add(split_rows[n], "percent", message)
        named = [s.participant for s in splits]
        repeated = rules.split_participants_problems(named)
        if repeated:
            n = next(k for k, who in enumerate(named) if who in named[:k])
            out.fields(split_rows[n], {"splits": "participant_id"}, repeated)
    for at, deal_id in data.stray_splits:
        out.add(at, "deal_id", f"unknown deal {deal_id!r}")
