"""The plan files the demo publishes: the examples in ``plans/``, dated around its day.

The example plans are written for one fiscal year (``EXAMPLE_YEAR``). The demo publishes
each commission plan once per fiscal year it covers, as successive versions (a new plan
year is a new version), the achievement rules once over both years, and contests made
from the example contests: one that ended last quarter (its prizes on that quarter's
statements), two running now and one starting next month.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml

from incentives.demo.timeline import Timeline

PLANS_DIR = Path(__file__).resolve().parents[3] / "plans"
EXAMPLE_YEAR = 2026
COMMISSION_FILES = ("account-executive.yaml", "manager-overlay.yaml", "sdr.yaml")
ACHIEVEMENT_FILES = (
    "achievement-big-deal.yaml",
    "achievement-streak.yaml",
    "achievement-levels.yaml",
)
_EFFECTIVE = re.compile(r"^effective: \{from: [0-9-]+, to: [0-9-]+\}$", re.M)
_VERSION = re.compile(r"^version: 1$", re.M)
_NAME = re.compile(rf"^(name: .*) {EXAMPLE_YEAR}$", re.M)


def _example(name: str) -> str:
    return (PLANS_DIR / name).read_text(encoding="utf-8")


def _replace_once(pattern: re.Pattern[str], text: str, new: str, name: str) -> str:
    replaced, count = pattern.subn(new, text)
    if count != 1:
        raise ValueError(f"plans/{name}: expected one line matching {pattern.pattern!r}")
    return replaced


def _effective(first: dt.date, last: dt.date) -> str:
    return f"effective: {{from: {first.isoformat()}, to: {last.isoformat()}}}"


def commission_plans(timeline: Timeline) -> list[tuple[str, str]]:
    """(file name, source) of each commission plan, a version per fiscal year, oldest
    first: the order they must be published in."""
    documents = []
    for version, year in enumerate(timeline.years, start=1):
        for name in COMMISSION_FILES:
            text = _replace_once(_VERSION, _example(name), f"version: {version}", name)
            text = _replace_once(_NAME, text, rf"\1 {year}", name)
            span = _effective(dt.date(year, 1, 1), dt.date(year, 12, 31))
            documents.append((name, _replace_once(_EFFECTIVE, text, span, name)))
    return documents


def achievement_rules(timeline: Timeline) -> list[tuple[str, str]]:
    """(file name, source) of each achievement rule, in force over the demo's two years."""
    span = _effective(timeline.start, timeline.end)
    return [
        (name, _replace_once(_EFFECTIVE, _example(name), span, name)) for name in ACHIEVEMENT_FILES
    ]


def _contest(template: str, **changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load(_example(template))
    raw.update(changes)
    return raw


def _month_name(day: dt.date) -> str:
    return day.strftime("%B")


def contests(timeline: Timeline) -> list[tuple[str, str]]:
    """(file name, source) of the demo's contests, the ended one first."""
    ended = timeline.month_containing(timeline.previous.end)
    live = timeline.month_containing(timeline.today)
    upcoming = timeline.month_containing(live.end + dt.timedelta(days=1))
    quarter = timeline.current
    number = quarter.label.rsplit("Q", 1)[1]

    def sprint(month: dt.date, to: dt.date) -> dict[str, Any]:
        return _contest(
            "contest-november-sprint.yaml",
            key=f"sprint-{month:%Y-%m}",
            name=f"{_month_name(month)} Sprint",
            description=f"Most won bookings in {_month_name(month)}.",
            window={"from": month, "to": to},
            prizes=[
                {"rank": 1, "cash": 500, "badge": "sprint-winner", "points": 300},
                {"rank": 2, "to_rank": 3, "cash": 150, "points": 100},
            ],
        )

    games = [
        sprint(ended.start, ended.end),
        sprint(live.start, live.end),
        _contest(
            "contest-q4-team-cup.yaml",
            key=f"team-cup-{quarter.label.lower()}",
            name=f"Q{number} Team Cup",
            description=f"Most won deals per member in the quarter ({quarter.label}).",
            window={"from": quarter.start, "to": quarter.end},
        ),
        _contest(
            "contest-march-blitz.yaml",
            key=f"blitz-{upcoming.start:%Y-%m}",
            name=f"{_month_name(upcoming.start)} Blitz",
            description=(
                f"Most Platform and Analytics bookings in {_month_name(upcoming.start)},"
                " North America East against EMEA."
            ),
            window={"from": upcoming.start, "to": upcoming.end},
            participants={"teams": ["na-east", "emea"]},
            ranking={"basis": "score", "tie_break": "first_to_reach"},
            prizes=[
                {"rank": 1, "badge": "blitz-winner", "points": 500},
                {"rank": 2, "to_rank": 3, "points": 200},
            ],
        ),
    ]
    return [
        (f"contest-{game['key']}.yaml", yaml.safe_dump(game, sort_keys=False)) for game in games
    ]
