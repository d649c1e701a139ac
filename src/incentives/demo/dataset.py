"""The demo data set: a sales organisation's deals and activities around a given day.

Deterministic: the same day gives the same data, byte for byte, on every machine. Five
teams of ten reps, a manager each and a head of sales above the managers, so that
manager rollups have two levels. Pay is meant to look like a real plan year: each rep's
annual target incentive is what the account-executive plan pays at 100% of quota, reps'
attainment spreads from about 40% to 160% (one outlier above, where the cap bites), and a
team's quota is the sum of its members'. Among them: a new hire on a recoverable draw, a
leaver, and an SDR promoted to account executive during the year.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from incentives.demo.timeline import Timeline
from incentives.engine.periods import Period

FIRST_NAMES = (
    "Ana", "Bo", "Carla", "Dev", "Elif", "Femi", "Greta", "Hiro", "Ines", "Jon", "Kemal",
    "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Uma", "Vik",
    "Wen", "Ximena", "Yusuf", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Lima", "Chen", "Rossi", "Patel", "Kaya", "Okafor", "Berg", "Sato", "Moreau", "Novak",
    "Haddad", "Jensen", "Costa", "Mensah", "Ortiz", "Schmidt", "Ivanova", "Nguyen",
    "Kowalski", "Silva",
)  # fmt: skip
TEAMS = (
    ("na-east", "North America East"),
    ("na-west", "North America West"),
    ("emea", "EMEA"),
    ("apac", "APAC"),
    ("latam", "LATAM"),
)
# How each team does as a whole, so that managers' overlays differ with their teams.
TEAM_FORM = {"na-east": 1.0, "na-west": 0.9, "emea": 1.08, "apac": 1.12, "latam": 0.84}
PRODUCTS = (("Platform", 0.45), ("Analytics", 0.3), ("Services", 0.25))
# The account-executive plan counts these products one and a half times.
STRATEGIC = frozenset({"Platform", "Analytics"})
ACTIVITY_TYPES = (("call", 0.55), ("meeting", 0.3), ("demo", 0.15))
SEED = 2026
TENURED_SINCE = dt.date(2023, 3, 1)
QUARTER_QUOTAS = (200_000, 225_000, 250_000, 275_000, 300_000)
# The account-executive plan pays 8% of bookings up to quota, so a target incentive of
# 4 x 8% of the quarterly quota is what a rep earns at 100% of quota all year.
AE_TARGET_PER_QUOTA = Decimal("0.32")
# The manager overlay pays 1% of team bookings up to the team quota.
MANAGER_TARGET_PER_QUOTA = Decimal("0.04")
SDR_TARGET_INCENTIVE = 24_000
SDR_MONTHLY_MEETINGS = 20
EUR_PER_USD_START = Decimal("1.0820")

# The people whose story the demo tells, besides everyone's ordinary year.
NEW_HIRE = "na-west-rep-10"  # joins three quarters ago, on a recoverable draw
LEAVER = "emea-rep-10"  # leaves two quarters ago
PROMOTED = "latam-rep-10"  # an SDR until two quarters ago, an account executive since
STAR = "apac-rep-01"  # far above quota: the one whose commission reaches the cap


@dataclass
class DemoData:
    """Items in the canonical ingest shape, in the order they must be ingested (the field
    order), and who is who."""

    participants: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    deals: list[dict[str, Any]] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)
    plan_assignments: list[dict[str, Any]] = field(default_factory=list)
    quotas: list[dict[str, Any]] = field(default_factory=list)
    fx_rates: list[dict[str, Any]] = field(default_factory=list)
    reps: list[str] = field(default_factory=list)
    managers: list[str] = field(default_factory=list)


@dataclass
class _Rep:
    """One rep's story: when they sell as an account executive, how well, against what."""

    key: str
    team: str
    currency: str
    starts: dt.date
    quota: int
    performance: float
    ends: dt.date | None = None
    ae_from: dt.date | None = None  # before it, an SDR

    def ae_days(self, period: Period, today: dt.date) -> tuple[dt.date, dt.date] | None:
        """The days of ``period`` up to ``today`` on which they sell as an AE."""
        first = max(period.start, self.starts, self.ae_from or self.starts)
        last = min(period.end, today, self.ends or period.end)
        return (first, last) if first <= last else None


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


def _day_between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, (last - first).days))


class _Builder:
    """Builds the data set in one deterministic pass."""

    def __init__(self, timeline: Timeline, reps_per_team: int) -> None:
        self.t = timeline
        self.rng = random.Random(SEED)  # noqa: S311 - demo data, not security
        self.data = DemoData()
        self.used: set[str] = set()
        self.reps: list[_Rep] = []
        self.reps_per_team = reps_per_team
        self.deal_no = 0
        self.eur_rates: dict[str, Decimal] = {}

    def person(self, key: str, currency: str, starts: dt.date, ends: dt.date | None) -> None:
        name = ""
        while not name or name in self.used:
            name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
        self.used.add(name)
        item: dict[str, Any] = {
            "external_id": key,
            "name": name,
            "email": name.lower().replace(" ", ".") + "@example.com",
            "currency": currency,
            "start_date": starts.isoformat(),
        }
        if ends is not None:
            item["end_date"] = ends.isoformat()
        self.data.participants.append(item)

    def organisation(self) -> None:
        t, data = self.t, self.data
        self.person("head-of-sales", "USD", dt.date(2020, 1, 1), None)
        data.assignments.append({"participant": "head-of-sales", "valid_from": "2020-01-01"})
        for team, team_name in TEAMS:
            currency = "EUR" if team == "emea" else "USD"
            manager = f"{team}-manager"
            self.person(manager, currency, dt.date(2021, 1, 1), None)
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
            for n in range(1, self.reps_per_team + 1):
                key = f"{team}-rep-{n:02d}"
                rep = _Rep(
                    key,
                    team,
                    currency,
                    TENURED_SINCE,
                    self.rng.choice(QUARTER_QUOTAS),
                    self.rng.uniform(0.6, 1.3) * TEAM_FORM[team],
                )
                if key == NEW_HIRE:
                    rep.starts = t.quarter(-3).start + dt.timedelta(days=20)
                    rep.quota = QUARTER_QUOTAS[0]
                elif key == LEAVER:
                    rep.ends = t.quarter(-2).start + dt.timedelta(days=40)
                elif key == PROMOTED:
                    rep.ae_from = t.quarter(-2).start
                    rep.quota = QUARTER_QUOTAS[0]
                elif key == STAR:
                    rep.performance = 1.55
                self.person(key, currency, rep.starts, rep.ends)
                self.reps.append(rep)
                data.reps.append(key)
                assignment: dict[str, Any] = {
                    "participant": key,
                    "manager": manager,
                    "team": team,
                    "team_name": team_name,
                    "valid_from": rep.starts.isoformat(),
                }
                if rep.ends is not None:
                    assignment["valid_to"] = rep.ends.isoformat()
                data.assignments.append(assignment)

    def fx(self) -> None:
        rate = EUR_PER_USD_START
        for month in self.t.months:
            rate += Decimal(self.rng.randint(-150, 150)) / 10_000
            self.eur_rates[month.label] = rate
            self.data.fx_rates.append(
                {
                    "currency": "EUR",
                    "to_currency": "USD",
                    "date": month.start.isoformat(),
                    "rate": str(rate),
                }
            )

    def amount_in(self, usd: Decimal, currency: str, day: dt.date) -> Decimal:
        """A deal's amount in its own currency, for about ``usd`` US dollars."""
        if currency == "USD":
            return usd
        # A rate holds from its date on: past the last month, the last one.
        month = self.t.month_containing(day).label
        rate = self.eur_rates.get(month) or self.eur_rates[max(self.eur_rates)]
        return (usd / rate).quantize(Decimal("0.01"))

    def deal(self, rep: _Rep, close: dt.date, status: str, usd: Decimal, product: str) -> None:
        self.deal_no += 1
        deal: dict[str, Any] = {
            "external_id": f"D-{self.deal_no:05d}",
            "owner": rep.key,
            "amount": str(self.amount_in(usd, rep.currency, close)),
            "currency": rep.currency,
            "close_date": close.isoformat(),
            "status": status,
            "product": product,
            "attributes": {
                "deal_type": self.rng.choices(["new_business", "renewal"], [0.7, 0.3])[0],
                "source": self.rng.choice(["inbound", "outbound", "partner"]),
            },
        }
        if status == "won" and self.rng.random() < 0.1:
            peers = [r for r in self.reps if r.team == rep.team and r is not rep]
            partner = self.rng.choice(peers)
            if partner.ae_days(self.t.month_containing(close), close) is not None:
                share = self.rng.choice([50, 40, 30])
                deal["splits"] = [
                    {"participant": rep.key, "percent": str(100 - share)},
                    {"participant": partner.key, "percent": str(share)},
                ]
        cancel = close + dt.timedelta(days=self.rng.randint(5, 60))
        if status == "won" and self.rng.random() < 0.03 and cancel <= self.t.today:
            deal["status"] = "cancelled"
            deal["cancel_date"] = cancel.isoformat()
        self.data.deals.append(deal)

    def usd_amount(self) -> Decimal:
        """A deal size: mostly 10,000 to 40,000 dollars, now and then a big one."""
        usd = min(180_000.0, max(3_000.0, self.rng.lognormvariate(math.log(22_000), 0.6)))
        return Decimal(round(usd * 2)) / 2

    def quarter_of_deals(self, rep: _Rep, quarter: Period, ramp: float) -> None:
        days = rep.ae_days(quarter, self.t.today)
        if days is None:
            return
        first, last = days
        share = ((last - first).days + 1) / quarter.days
        target = rep.quota * rep.performance * self.rng.uniform(0.8, 1.2) * share * ramp
        credited = 0.0
        won = 0
        while True:
            usd = self.usd_amount()
            product = _pick(self.rng, PRODUCTS)
            credit = float(usd) * (1.5 if product in STRATEGIC else 1.0)
            # Stop where the quarter's bookings come closest to the rep's target.
            if credited + credit - target > target - credited:
                break
            credited += credit
            won += 1
            self.deal(rep, _day_between(self.rng, first, last), "won", usd, product)
        for _ in range(round(won * 0.4)):
            product = _pick(self.rng, PRODUCTS)
            self.deal(rep, _day_between(self.rng, first, last), "lost", self.usd_amount(), product)

    def deals(self) -> None:
        t = self.t
        for rep in self.reps:
            selling = [q for q in t.quarters if rep.ae_days(q, t.today) is not None]
            for n, quarter in enumerate(selling):
                ramp = (0.25, 0.45)[n] if rep.key == NEW_HIRE and n < 2 else 1.0
                self.quarter_of_deals(rep, quarter, ramp)
            if rep.ends is None:
                # The pipeline: deals expected to close in the weeks ahead.
                for _ in range(self.rng.randint(3, 8)):
                    close = t.today + dt.timedelta(days=self.rng.randint(1, 75))
                    self.deal(rep, close, "open", self.usd_amount(), _pick(self.rng, PRODUCTS))

    def activities(self) -> None:
        t, data = self.t, self.data
        number = 0
        for rep in self.reps:
            day = max(rep.starts, t.start)
            last = min(t.today, rep.ends or t.today)
            while day <= last:
                sdr = rep.ae_from is not None and day < rep.ae_from
                for _ in range(self.rng.randint(1, 3) if sdr else self.rng.randint(0, 4)):
                    number += 1
                    at = dt.datetime.combine(
                        day, dt.time(self.rng.randint(8, 17), self.rng.choice([0, 30])), dt.UTC
                    )
                    kind = _pick(self.rng, ACTIVITY_TYPES)
                    if sdr and kind != "call":
                        kind = "meeting_held"
                    data.activities.append(
                        {
                            "external_id": f"A-{number:06d}",
                            "participant": rep.key,
                            "type": kind,
                            "occurred_at": at.isoformat(),
                        }
                    )
                day += dt.timedelta(days=self.rng.choice([1, 1, 2, 3]))

    def plan_inputs(self) -> None:
        """Who is paid under which plan, with their target incentives and quotas."""
        t, data = self.t, self.data
        team_quotas: dict[tuple[str, str], Decimal] = {}
        for rep in self.reps:
            ae_from = max(t.start, rep.starts, rep.ae_from or rep.starts)
            if rep.ae_from is not None:
                data.plan_assignments.append(
                    {
                        "plan": "sdr",
                        "participant": rep.key,
                        "valid_from": t.start.isoformat(),
                        "valid_to": (rep.ae_from - dt.timedelta(days=1)).isoformat(),
                        "currency": "USD",
                        "target_incentive": str(SDR_TARGET_INCENTIVE),
                    }
                )
                for month in t.months:
                    if month.end < rep.ae_from:
                        data.quotas.append(
                            {
                                "participant": rep.key,
                                "period": month.label,
                                "measure": "meetings_held",
                                "amount": str(SDR_MONTHLY_MEETINGS),
                            }
                        )
            assignment: dict[str, Any] = {
                "plan": "account-executive",
                "participant": rep.key,
                "valid_from": ae_from.isoformat(),
                "currency": "USD",
                "target_incentive": str(AE_TARGET_PER_QUOTA * rep.quota),
            }
            if rep.ends is not None:
                assignment["valid_to"] = rep.ends.isoformat()
            data.plan_assignments.append(assignment)
            for quarter in t.quarters:
                first = max(quarter.start, ae_from)
                last = min(quarter.end, rep.ends or quarter.end)
                if first > last:
                    continue
                data.quotas.append(
                    {
                        "participant": rep.key,
                        "period": quarter.label,
                        "measure": "bookings",
                        "amount": str(rep.quota),
                    }
                )
                # The team's quota counts each member for the days they are on it.
                share = Decimal((last - first).days + 1) / quarter.days
                key = (f"{rep.team}-manager", quarter.label)
                team_quotas[key] = team_quotas.get(key, Decimal(0)) + rep.quota * share
        for manager in data.managers:
            quotas = [(q.label, team_quotas[(manager, q.label)]) for q in t.quarters]
            typical = max(amount for _, amount in quotas)
            data.plan_assignments.append(
                {
                    "plan": "manager-overlay",
                    "participant": manager,
                    "valid_from": t.start.isoformat(),
                    "currency": "USD",
                    "target_incentive": str(
                        (MANAGER_TARGET_PER_QUOTA * typical / 1000).quantize(Decimal(1)) * 1000
                    ),
                }
            )
            for label, amount in quotas:
                data.quotas.append(
                    {
                        "participant": manager,
                        "period": label,
                        "measure": "team_bookings",
                        "amount": str(amount.quantize(Decimal(1))),
                    }
                )


def build(today: dt.date, reps_per_team: int = 10) -> DemoData:
    """The demo organisation and its deals and activities, laid around ``today``."""
    builder = _Builder(Timeline(today), reps_per_team)
    builder.organisation()
    builder.fx()
    builder.deals()
    builder.activities()
    builder.plan_inputs()
    return builder.data
