"""The demo data set: a sales organisation with a year of deals and activities.

Deterministic: the same seed gives the same data, byte for byte, on every machine.
Five teams of ten reps, a manager each and a head of sales above the managers, so that
manager rollups have two levels.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

FIRST_NAMES = (
    "Ana",
    "Bo",
    "Carla",
    "Dev",
    "Elif",
    "Femi",
    "Greta",
    "Hiro",
    "Ines",
    "Jon",
    "Kemal",
    "Lena",
    "Mateo",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Uma",
    "Vik",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
)
LAST_NAMES = (
    "Lima",
    "Chen",
    "Rossi",
    "Patel",
    "Kaya",
    "Okafor",
    "Berg",
    "Sato",
    "Moreau",
    "Novak",
    "Haddad",
    "Jensen",
    "Costa",
    "Mensah",
    "Ortiz",
    "Schmidt",
    "Ivanova",
    "Nguyen",
    "Kowalski",
    "Silva",
)
TEAMS = (
    ("na-east", "North America East"),
    ("na-west", "North America West"),
    ("emea", "EMEA"),
    ("apac", "APAC"),
    ("latam", "LATAM"),
)
PRODUCTS = (("Platform", 0.5), ("Analytics", 0.3), ("Services", 0.2))
ACTIVITY_TYPES = (("call", 0.55), ("meeting", 0.3), ("demo", 0.15))
YEAR = 2026
PLAN_FILES = (
    "account-executive.yaml",
    "manager-overlay.yaml",
    "contest-november-sprint.yaml",
    "contest-q4-team-cup.yaml",
)
REP_QUARTER_QUOTA = 700_000
REP_TARGET_INCENTIVE = 60_000
MANAGER_TARGET_INCENTIVE = 80_000


@dataclass
class DemoData:
    """Items in the canonical ingest shape, in the order they must be ingested (the field
    order), and the plan files (in ``plans/``) the demo publishes."""

    participants: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    deals: list[dict[str, Any]] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)
    plan_assignments: list[dict[str, Any]] = field(default_factory=list)
    quotas: list[dict[str, Any]] = field(default_factory=list)
    fx_rates: list[dict[str, Any]] = field(default_factory=list)
    reps: list[str] = field(default_factory=list)
    managers: list[str] = field(default_factory=list)


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


def _person(rng: random.Random, used: set[str]) -> str:
    while True:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if name not in used:
            used.add(name)
            return name


def build(seed: int = YEAR, reps_per_team: int = 10) -> DemoData:
    """The demo organisation and its year of deals and activities."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    data = DemoData()
    used: set[str] = set()
    start = dt.date(YEAR, 1, 1)

    def participant(key: str, currency: str, starts: dt.date) -> None:
        name = _person(rng, used)
        email = name.lower().replace(" ", ".") + "@example.com"
        data.participants.append(
            {
                "external_id": key,
                "name": name,
                "email": email,
                "currency": currency,
                "start_date": starts.isoformat(),
            }
        )

    participant("head-of-sales", "USD", dt.date(2020, 1, 1))
    data.assignments.append({"participant": "head-of-sales", "valid_from": "2020-01-01"})
    for team, team_name in TEAMS:
        currency = "EUR" if team == "emea" else "USD"
        manager = f"{team}-manager"
        participant(manager, currency, dt.date(2021, 1, 1))
        data.managers.append(manager)
        data.assignments.append(
            {
                "participant": manager,
                "manager": "head-of-sales",
                "team": team,
                "team_name": team_name,
                "valid_from": "2021-01-01",
            }
        )
        for n in range(1, reps_per_team + 1):
            rep = f"{team}-rep-{n:02d}"
            # A few new hires start during the year, to show proration and first deals.
            hired = start + dt.timedelta(days=rng.choice([0] * 8 + [45, 120]))
            participant(rep, currency, hired if hired > start else dt.date(2023, 3, 1))
            data.reps.append(rep)
            data.assignments.append(
                {
                    "participant": rep,
                    "manager": manager,
                    "team": team,
                    "team_name": team_name,
                    "valid_from": max(hired, start).isoformat(),
                }
            )

    starts = {p["external_id"]: dt.date.fromisoformat(p["start_date"]) for p in data.participants}
    team_of = {a["participant"]: a.get("team") for a in data.assignments}
    deal_no = 0
    for rep in data.reps:
        first_day = max(starts[rep], start)
        currency = next(p["currency"] for p in data.participants if p["external_id"] == rep)
        peers = [r for r in data.reps if team_of[r] == team_of[rep] and r != rep]
        for _ in range(rng.randint(35, 75)):
            deal_no += 1
            close = first_day + dt.timedelta(
                days=rng.randrange((dt.date(YEAR, 12, 31) - first_day).days)
            )
            product = _pick(rng, PRODUCTS)
            amount = Decimal(rng.randrange(2_000_00, 90_000_00, 50)) / 100
            status = rng.choices(["won", "lost", "open"], [0.62, 0.25, 0.13])[0]
            if close > dt.date(YEAR, 11, 20):
                status = "open"
            deal: dict[str, Any] = {
                "external_id": f"D-{deal_no:05d}",
                "owner": rep,
                "amount": str(amount),
                "currency": currency,
                "close_date": close.isoformat(),
                "status": status,
                "product": product,
                "attributes": {
                    "deal_type": rng.choices(["new_business", "renewal"], [0.7, 0.3])[0],
                    "source": rng.choice(["inbound", "outbound", "partner"]),
                },
            }
            if status == "won" and rng.random() < 0.1:
                partner = rng.choice(peers)
                share = rng.choice(["50", "40", "30"])
                deal["splits"] = [
                    {"participant": rep, "percent": str(100 - int(share))},
                    {"participant": partner, "percent": share},
                ]
            if status == "won" and rng.random() < 0.03:
                deal["status"] = "cancelled"
                deal["cancel_date"] = (close + dt.timedelta(days=rng.randint(5, 60))).isoformat()
            data.deals.append(deal)

    activity_no = 0
    for rep in data.reps:
        day = max(starts[rep], start)
        while day < dt.date(YEAR, 11, 21):
            for _ in range(rng.randint(0, 4)):
                activity_no += 1
                at = dt.datetime.combine(
                    day, dt.time(rng.randint(8, 17), rng.choice([0, 30])), dt.UTC
                )
                data.activities.append(
                    {
                        "external_id": f"A-{activity_no:06d}",
                        "participant": rep,
                        "type": _pick(rng, ACTIVITY_TYPES),
                        "occurred_at": at.isoformat(),
                    }
                )
            day += dt.timedelta(days=rng.choice([1, 1, 2, 3]))
    _plan_inputs(data, rng)
    return data


def _plan_inputs(data: DemoData, rng: random.Random) -> None:
    """Who is paid under which plan, their quarterly quotas, and EUR rates for EMEA."""
    year_start = f"{YEAR}-01-01"
    for rep in data.reps:
        data.plan_assignments.append(
            {
                "plan": "account-executive",
                "participant": rep,
                "valid_from": year_start,
                "currency": "USD",
                "target_incentive": str(REP_TARGET_INCENTIVE),
            }
        )
        for quarter in range(1, 5):
            data.quotas.append(
                {
                    "participant": rep,
                    "period": f"{YEAR}-Q{quarter}",
                    "measure": "bookings",
                    "amount": str(REP_QUARTER_QUOTA),
                }
            )
    for manager in data.managers:
        team_size = sum(1 for a in data.assignments if a.get("manager") == manager)
        data.plan_assignments.append(
            {
                "plan": "manager-overlay",
                "participant": manager,
                "valid_from": year_start,
                "currency": "USD",
                "target_incentive": str(MANAGER_TARGET_INCENTIVE),
            }
        )
        for quarter in range(1, 5):
            data.quotas.append(
                {
                    "participant": manager,
                    "period": f"{YEAR}-Q{quarter}",
                    "measure": "team_bookings",
                    "amount": str(REP_QUARTER_QUOTA * team_size),
                }
            )
    rate = Decimal("1.0820")
    for month in range(1, 13):
        rate += Decimal(rng.randint(-150, 150)) / 10_000
        data.fx_rates.append(
            {
                "currency": "EUR",
                "to_currency": "USD",
                "date": f"{YEAR}-{month:02d}-01",
                "rate": str(rate),
            }
        )
