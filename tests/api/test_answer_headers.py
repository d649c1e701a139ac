"""No answer that may carry pay is kept by a cache or a browser, sniffed into another
type, or shown as a page that loads anything: checked on every GET the API documents,
its errors included (the pages answered from memory: ``test_fast_reads``)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.api.conftest import Client, Headers

POLICY = "default-src 'none'; frame-ancestors 'none'"
# What each path parameter of a GET is given: something the test world holds.
VALUES = {
    "participant": "rep-1",
    "team": "east",
    "key": "flat",
    "period": "2026-Q1",
    "measure": "bookings",
}


def assert_kept_by_no_one(answer: httpx.Response, where: str) -> None:
    """The answer says no one may keep it, sniff it or frame it."""
    assert answer.headers.get("cache-control") == "no-store", where
    assert answer.headers.get("x-content-type-options") == "nosniff", where
    assert "frame-ancestors 'none'" in answer.headers.get("content-security-policy", ""), where


async def test_every_documented_read_carries_the_headers(
    client: Client, world: Headers, schema: dict[str, Any]
) -> None:
    closed = await client.post("/api/v1/periods/2026-Q1/close", headers=world["finance"])
    assert closed.status_code == 200, closed.text
    statement = (await client.get("/api/v1/statements", headers=world["finance"])).json()[0]["id"]
    values = {**VALUES, "statement": statement, "statement_id": statement}
    answered: dict[str, int] = {}
    for path, item in schema["paths"].items():
        if "get" not in item or not path.startswith("/api/v1/"):
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), 1)), path)
        params = {
            p["name"]: values[p["name"]]
            for p in item["get"].get("parameters", [])
            if p["in"] == "query" and p["required"]
        }
        for who in ("rep", "finance", "admin"):
            answer = await client.get(url, params=params, headers=world[who])
            assert_kept_by_no_one(answer, f"GET {url} as {who}: {answer.status_code}")
            answered[path] = max(answered.get(path, 0), int(answer.is_success))
        refused = await client.get(url, params=params)
        assert_kept_by_no_one(refused, f"GET {url} without a token")
    # Most of them (three in four) answered with what they are for, not only with refusals.
    assert 4 * sum(answered.values()) >= 3 * len(answered), answered


async def test_statements_pay_and_payroll_files_carry_them(client: Client, world: Headers) -> None:
    assert (await client.post("/api/v1/periods/2026-Q1/close", headers=world["finance"])).is_success
    for step, who in (("submit", "finance"), ("approve", "admin")):
        moved = await client.post(f"/api/v1/periods/2026-Q1/statements/{step}", headers=world[who])
        assert moved.status_code == 200, moved.text
    statement = (await client.get("/api/v1/statements", headers=world["rep"])).json()[0]["id"]
    for method, url, media in [
        ("GET", f"/api/v1/statements/{statement}.csv", "text/csv"),
        ("GET", f"/api/v1/statements/{statement}", "application/json"),
        ("POST", "/api/v1/payouts/export?period=2026-Q1", "text/csv"),
    ]:
        reader = world["finance"] if "payouts" in url else world["rep"]
        answer = await client.request(method, url, headers=reader)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(media)
        assert_kept_by_no_one(answer, url)
        assert answer.headers["content-security-policy"] == POLICY
    # The printable page loads its own style sheet and nothing else.
    page = await client.get(f"/api/v1/statements/{statement}.html", headers=world["rep"])
    assert_kept_by_no_one(page, "the statement's page")
    policy = page.headers["content-security-policy"]
    assert policy.startswith("default-src 'none'; style-src 'sha256-"), policy
