"""Hostile inputs, each sent alone over every operation that takes a field of its class,
with the answer each must get: the exact 4xx status and the field it names.

A row is one request; ``expect`` is (status, field named in ``errors``). The classes are
those fault injection found answered with 500 or stalling the service: huge, exponent,
non-finite and spaced decimals, other scripts' digits, integers beyond the database's
columns, NUL characters, deep nesting, over-long texts, YAML aliases and duplicate keys,
and oversized bodies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

BIG = "9" * 30  # beyond any database integer
DEAL = {
    "external_id": "H-1",
    "owner": "rep-1",
    "amount": "100",
    "currency": "USD",
    "close_date": "2026-02-01",
    "status": "won",
}
ACTIVITY = {
    "external_id": "A-1",
    "participant": "rep-1",
    "type": "call",
    "occurred_at": "2026-02-01T10:00:00Z",
}
QUOTA = {"participant": "rep-1", "period": "2026-Q2", "measure": "bookings", "amount": "1"}
ON_PLAN = {"plan": "flat", "participant": "rep-1", "valid_from": "2026-01-01", "currency": "USD"}
FX = {"currency": "EUR", "to_currency": "USD", "date": "2026-01-01", "rate": "1.1"}
PERSON = {"external_id": "p-9", "name": "P", "currency": "USD"}
CONTEST = {
    "key": "hostile",
    "name": "Hostile",
    "window": {"from": "2026-01-01", "to": "2026-12-31"},
    "currency": "USD",
    "score": {"type": "total", "source": "deals", "aggregate": "sum"},
}
PLAN = """kind: commission
key: hostile
version: 1
name: Hostile
effective: {from: 2026-01-01, to: 2026-12-31}
payout_currency: USD
period: quarter
measures:
  - {key: bookings, name: Bookings, source: deals, aggregate: sum, quota: true}
components:
  - {key: commission, name: Commission, type: rate, measure: bookings, rate: 10%}
"""
# A few lines of aliases that would expand to 10^9 nodes.
LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{new}: &{new} [*{old}, *{old}, *{old}, *{old}, *{old}, *{old}, *{old}, *{old}]\n"
    for old, new in zip("abcdefgh", "bcdefghi", strict=True)
)

# Decimal texts no amount, quantity, rate or prize may be; each alone.
BAD_DECIMALS = [
    "1E+400000",
    "1e5",
    "NaN",
    "Infinity",
    "-Infinity",
    " 10 ",
    "²",
    "٣",
    "1" + "0" * 13,
    "0.000000000000001",
    "1_000",
    "",
]


@dataclass(frozen=True)
class Case:
    """One hostile request and the answer it must get."""

    name: str
    method: str
    path: str
    role: str
    expect: tuple[int, str]
    body: Any = None
    content: bytes | None = None


def _ingest(kind: str, item: dict[str, Any], field: str, value: Any) -> Case:
    bad = {**item, field: value}
    return Case(
        f"ingest {kind} {field}={value!r}"[:80],
        "POST",
        f"/api/v1/ingest/{kind}",
        "integration",
        (422, field),
        {"items": [bad]},
    )


def _decimals() -> Iterator[Case]:
    targets: list[tuple[str, Callable[[Any], Case]]] = [
        ("deal amount", lambda v: _ingest("deals", DEAL, "amount", v)),
        ("activity quantity", lambda v: _ingest("activities", ACTIVITY, "quantity", v)),
        ("quota amount", lambda v: _ingest("quotas", QUOTA, "amount", v)),
        ("target incentive", lambda v: _ingest("plan_assignments", ON_PLAN, "target_incentive", v)),
        ("fx rate", lambda v: _ingest("fx_rates", FX, "rate", v)),
        (
            "split percent",
            lambda v: Case(
                f"split percent {v!r}",
                "POST",
                "/api/v1/ingest/deals",
                "integration",
                (422, "splits[0].percent"),
                {"items": [{**DEAL, "splits": [{"participant": "rep-1", "percent": v}]}]},
            ),
        ),
        (
            "estimate amount",
            lambda v: Case(
                f"estimate {v!r}",
                "POST",
                "/api/v1/me/estimate",
                "rep",
                (400, "deals[0].amount"),
                {"deals": [{"amount": v, "close_date": "2026-02-01"}]},
            ),
        ),
        (
            "contest prize",
            lambda v: Case(
                f"contest cash {v!r}",
                "POST",
                "/api/v1/contests",
                "manager",
                (422, "prizes[0].cash"),
                {**CONTEST, "prizes": [{"rank": 1, "cash": v}]},
            ),
        ),
        (
            "dispute adjustment",
            lambda v: Case(
                f"adjustment {v!r}",
                "POST",
                "/api/v1/disputes/1/resolve",
                "finance",
                (400, "adjustment"),
                {"outcome": "accepted", "adjustment": v},
            ),
        ),
        (
            "plan rate",
            lambda v: Case(
                f"plan rate {v!r}",
                "POST",
                "/api/v1/plans",
                "finance",
                (422, "plan.yaml: components[0].rate"),
                {"source": PLAN.replace("rate: 10%", f"rate: '{v}%'")},
            ),
        ),
    ]
    for _, make in targets:
        for value in BAD_DECIMALS:
            yield make(value)
    # JSON numbers: a huge one cannot be read at all, an exponent one is refused.
    yield _ingest("deals", DEAL, "amount", 1e300)
    yield _ingest("deals", DEAL, "amount", float("1e20"))


def _integers() -> Iterator[Case]:
    for path, field in [
        ("/api/v1/statements?limit=" + BIG, "limit"),
        ("/api/v1/statements?offset=" + BIG, "offset"),
        ("/api/v1/disputes?limit=-1", "limit"),
        ("/api/v1/contests?offset=" + BIG, "offset"),
        ("/api/v1/me/statements?limit=" + BIG, "limit"),
        ("/api/v1/audit?before_id=" + BIG, "before_id"),
        ("/api/v1/periods?fiscal_year=" + BIG, "fiscal_year"),
        ("/api/v1/disputes/" + BIG, "dispute_id"),
        ("/api/v1/calc-runs/" + BIG, "run_id"),
        ("/api/v1/webhooks/" + BIG, "webhook_id"),
        ("/api/v1/statements/" + BIG + "/change", "statement_id"),
    ]:
        yield Case(f"GET {path}"[:80], "GET", path, "finance", (400, field))
    line = "/api/v1/statements/1/lines/66291101976947320/disputes"
    yield Case("line beyond integer", "POST", line, "rep", (400, "line_no"), {"message": "why?"})
    for path in ("/api/v1/statements/" + BIG, "/api/v1/statements/²", "/api/v1/contests/²"):
        yield Case(f"GET {path}", "GET", path, "finance", (404, ""))
    bodies: list[tuple[str, dict[str, Any], str]] = [
        ("/api/v1/periods/generate", {"fiscal_year": int(BIG)}, "fiscal_year"),
        ("/api/v1/statements/1/submit", {"version": int(BIG)}, "version"),
        ("/api/v1/payouts/mark-paid", {"statements": [int(BIG)]}, "statements[0]"),
    ]
    for path, body, field in bodies:
        yield Case(f"POST {path} {field}", "POST", path, "finance", (400, field), body)
    for method, path, field in [
        ("GET", "/api/v1/users/" + BIG + "/tokens", "user_id"),
        ("POST", "/api/v1/tokens/" + BIG + "/revoke", "token_id"),
    ]:
        yield Case(f"{method} {path}"[:80], method, path, "admin", (400, field))
    contest = {**CONTEST, "prizes": [{"rank": int(BIG), "points": 1}]}
    yield Case(
        "contest rank", "POST", "/api/v1/contests", "manager", (422, "prizes[0].rank"), contest
    )


def _texts() -> Iterator[Case]:
    yield _ingest("participants", PERSON, "name", "n" * 301)
    yield _ingest("participants", PERSON, "external_id", "x" * 201)
    for path, body, field in [
        ("/api/v1/contests/1/clone", {"name": "n" * 301}, "name"),
        ("/api/v1/payouts/mark-paid", {"period": "p" * 21}, "period"),
        ("/api/v1/disputes/1/resolve", {"outcome": "declined", "period": "p" * 21}, "period"),
        ("/api/v1/users/1/tokens", {"label": "l" * 201}, "label"),
    ]:
        role = "manager" if "contests" in path else "admin" if "tokens" in path else "finance"
        yield Case(f"POST {path} long {field}", "POST", path, role, (400, field), body)
    yield Case(
        "contest name 301",
        "POST",
        "/api/v1/contests",
        "manager",
        (422, "name"),
        {**CONTEST, "name": "n" * 301},
    )
    yield Case(
        "dispute message 4001",
        "POST",
        "/api/v1/statements/1/lines/1/disputes",
        "rep",
        (400, "message"),
        {"message": "m" * 4001},
    )
    long_key = PLAN.replace("key: hostile", "key: " + "k" * 101)
    yield Case(
        "plan key 101",
        "POST",
        "/api/v1/plans",
        "finance",
        (422, "plan.yaml: key"),
        {"source": long_key},
    )


def _nul() -> Iterator[Case]:
    yield Case(
        "NUL in query", "GET", "/api/v1/statements?period=2026%00", "finance", (400, "period")
    )
    yield Case(
        "NUL in path", "GET", "/api/v1/participants/rep%00/earnings", "finance", (400, "(path)")
    )
    yield Case("NUL in contest path", "GET", "/api/v1/contests/a%00b", "finance", (400, "(path)"))
    yield Case(
        "NUL in ingest",
        "POST",
        "/api/v1/ingest/deals",
        "integration",
        (400, "items[0].external_id"),
        {"items": [{**DEAL, "external_id": "a\x00b"}]},
    )
    yield Case(
        "NUL in dispute",
        "POST",
        "/api/v1/statements/1/lines/1/disputes",
        "rep",
        (400, "message"),
        {"message": "why\x00"},
    )
    yield Case(
        "NUL in contest name",
        "POST",
        "/api/v1/contests",
        "manager",
        (400, "name"),
        {**CONTEST, "name": "a\x00"},
    )
    yield Case(
        "NUL in plan",
        "POST",
        "/api/v1/plans",
        "finance",
        (400, "source"),
        {"source": PLAN.replace("Hostile", "Host\x00ile")},
    )


def _nested(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {}
    for _ in range(depth):
        node = {"a": node}
    return node


def _structure() -> Iterator[Case]:
    deep = {"items": [{**DEAL, "attributes": _nested(40)}]}
    yield Case(
        "nesting 40",
        "POST",
        "/api/v1/ingest/deals",
        "integration",
        (400, "items[0].attributes" + ".a" * 29),
        deep,
    )
    very = b'{"deals": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    yield Case("nesting 5000", "POST", "/api/v1/me/estimate", "rep", (400, "(body)"), content=very)
    big = b'{"deals": [' + b'{"amount": "1", "close_date": "2026-02-01"},' * 30000 + b"{}]}"
    yield Case("body 1.3 MB", "POST", "/api/v1/me/estimate", "rep", (413, "(body)"), content=big)
    many = {"deals": [{"amount": "1", "close_date": "2026-02-01"}] * 101}
    yield Case("101 deals", "POST", "/api/v1/me/estimate", "rep", (400, "deals"), many)
    for name, source, field in [
        ("billion laughs", LAUGHS, "plan.yaml: a"),
        (
            "duplicate key",
            PLAN.replace("period: quarter", "period: quarter\nperiod: month"),
            "plan.yaml: period",
        ),
        ("deep plan", PLAN + "x: " + "[" * 40 + "]" * 40 + "\n", "plan.yaml: x" + "[0]" * 31),
    ]:
        yield Case(name, "POST", "/api/v1/plans", "finance", (422, field), {"source": source})


def cases() -> list[Case]:
    """Every hostile request of the table."""
    return [*_decimals(), *_integers(), *_texts(), *_nul(), *_structure()]
