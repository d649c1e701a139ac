"""What each domain's refusal answers through its routes: the status, and the problem
details body a client reads (its title, and each refused field)."""

from __future__ import annotations

from typing import Any

import httpx

from incentives.bounds import Amount
from tests.api.conftest import FLAT, IN_LINE, Client, Headers, race


def _problem(status: int, title: str, *errors: tuple[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {"title": title, "status": status}
    if errors:
        body["errors"] = [{"field": field, "message": message} for field, message in errors]
    return body


def _refused(answer: httpx.Response, status: int, title: str, *errors: tuple[str, str]) -> None:
    assert answer.headers["content-type"].startswith("application/problem+json"), answer.text
    assert (answer.status_code, answer.json()) == (status, _problem(status, title, *errors))


async def _close_q1(client: Client, finance: dict[str, str]) -> int:
    """Close 2026-Q1; the id of rep-1's draft statement."""
    closed = await client.post("/api/v1/periods/2026-Q1/close", headers=finance)
    assert closed.status_code == 200, closed.text
    listed = await client.get("/api/v1/statements?period=2026-Q1", headers=finance)
    return int(next(s["id"] for s in listed.json() if s["participant"] == "rep-1"))


async def test_closing_and_the_payout_workflow_refuse_as_problems(
    client: Client, world: Headers
) -> None:
    fin = world["finance"]
    close = "/api/v1/periods/{}/close"
    _refused(await client.post(close.format("2099-Q1"), headers=fin), 404, "no period '2099-Q1'")
    out_of_order = await client.post(close.format("2026-Q2"), headers=fin)
    _refused(out_of_order, 409, "2026-Q1 is not closed yet; periods close in order")
    sid = await _close_q1(client, fin)
    _refused(
        await client.post(close.format("2026-Q1"), headers=fin), 409, "2026-Q1 is already closed"
    )

    statement = f"/api/v1/statements/{sid}"
    missing = await client.post("/api/v1/statements/999999/submit", headers=fin)
    _refused(missing, 404, "no statement 999999")
    stale = await client.post(f"{statement}/submit", json={"version": 99}, headers=fin)
    _refused(stale, 409, f"statement {sid} is at version 1, not 99: it changed since you read it")
    assert (await client.post(f"{statement}/submit", headers=fin)).status_code == 200
    own = await client.post(f"{statement}/approve", headers=fin)
    _refused(own, 403, f"statement {sid}: you submitted it, so someone else must approve it")
    again = await client.post(f"{statement}/submit", headers=fin)
    _refused(again, 409, f"statement {sid} is submitted; it must be draft to be submitted")
    bulk = await client.post("/api/v1/periods/2099-Q1/statements/submit", headers=fin)
    _refused(bulk, 404, "no period '2099-Q1'")

    pay = "/api/v1/payouts/mark-paid"
    # Ids in the body that do not exist are a bad request, not a missing resource.
    unknown = await client.post(pay, json={"statements": [sid, 999999]}, headers=fin)
    _refused(unknown, 422, "some statements do not exist", ("statements[1]", "no statement 999999"))
    unpayable = await client.post(pay, json={"statements": [sid]}, headers=fin)
    _refused(
        unpayable,
        409,
        "some statements cannot be marked paid; nothing was",
        ("statements[0]", f"statement {sid} is submitted; it must be approved to be paid"),
    )
    no_period = await client.post(pay, json={"period": "2099-Q1"}, headers=fin)
    _refused(no_period, 404, "no period '2099-Q1'")
    export = await client.post("/api/v1/payouts/export?period=2099-Q1", headers=fin)
    _refused(export, 404, "no period '2099-Q1'")


async def test_disputes_refuse_as_problems(client: Client, world: Headers) -> None:
    fin, rep = world["finance"], world["rep"]
    sid = await _close_q1(client, fin)
    _refused(await client.get("/api/v1/disputes/999999", headers=fin), 404, "no dispute 999999")
    line = f"/api/v1/statements/{sid}/lines/{{}}/disputes"
    opened = await client.post(line.format(1), json={"message": "why?"}, headers=rep)
    assert opened.status_code == 201, opened.text
    twice = await client.post(line.format(1), json={"message": "why?"}, headers=rep)
    _refused(twice, 409, f"line 1 of statement {sid} already has an open inquiry")
    no_line = await client.post(line.format(99), json={"message": "why?"}, headers=rep)
    _refused(no_line, 404, f"no line 99 on statement {sid}")
    no_reason = await client.post(
        f"/api/v1/disputes/{opened.json()['id']}/resolve",
        json={"outcome": "declined"},
        headers=fin,
    )
    _refused(
        no_reason,
        422,
        "reason: a declined dispute needs a reason",
        ("reason", "a declined dispute needs a reason"),
    )


async def test_plans_and_runs_refuse_as_problems(client: Client, world: Headers) -> None:
    fin = world["finance"]
    changed = FLAT.replace("rate: 10%", "rate: 20%")
    conflict = await client.post("/api/v1/plans", json={"source": changed}, headers=fin)
    _refused(
        conflict,
        409,
        "flat version 1 is already published with other content; publish a change as a new version",
    )
    missing = ("version", "name", "effective", "payout_currency", "period", "measures")
    for path in ("/api/v1/plans", "/api/v1/plans?dry_run=true"):
        invalid = await client.post(
            path, json={"source": "kind: commission\nkey: x\n"}, headers=fin
        )
        _refused(
            invalid,
            422,
            "The plan is not valid: 7 problem(s)",
            *((f"plan.yaml: {field}", "missing") for field in (*missing, "components")),
        )
    runs = "/api/v1/calc-runs"
    period = await client.post(runs, json={"period": "2031-Q1"}, headers=fin)
    message = "unknown period '2031-Q1'; generate the fiscal year first"
    _refused(period, 422, message, ("period", message))
    people = await client.post(
        runs, json={"period": "2026-Q2", "participants": ["ghost"]}, headers=fin
    )
    # The field named is the one that is wrong (it was "period" for any scope error).
    unknown = "unknown participants: ghost"
    _refused(people, 422, unknown, ("participants", unknown))


async def test_contests_refuse_as_problems(client: Client, world: Headers) -> None:
    mgr = world["manager"]
    mine = race("r", "R", participants=IN_LINE)
    invalid = await client.post("/api/v1/contests", json={"key": "c", "name": "C"}, headers=mgr)
    _refused(
        invalid,
        422,
        "The contest is not valid: 2 problem(s)",
        ("window", "missing"),
        ("score", "missing"),
    )
    assert (await client.post("/api/v1/contests", json=mine, headers=mgr)).is_success
    taken = "a contest with key 'r' exists already"
    _refused(
        await client.post("/api/v1/contests", json=mine, headers=mgr),
        409,
        taken,
    )
    clone = await client.post("/api/v1/contests/r/clone", json={"key": "r"}, headers=mgr)
    _refused(clone, 409, taken)
    rekeyed = await client.put("/api/v1/contests/r", json={**mine, "key": "other"}, headers=mgr)
    _refused(
        rekeyed,
        422,
        "The contest is not valid: 1 problem(s)",
        ("key", "a contest's key cannot change (it is r)"),
    )
    assert (await client.post("/api/v1/contests/r/cancel", headers=mgr)).is_success
    for action in ("cancel", "schedule"):
        refused = await client.post(f"/api/v1/contests/r/{action}", headers=mgr)
        verb = {"cancel": "cancelled", "schedule": "scheduled"}[action]
        _refused(refused, 409, f"the contest is cancelled; it cannot become {verb}")
    edited = await client.put("/api/v1/contests/r", json=mine, headers=mgr)
    _refused(edited, 409, "the contest is cancelled; only a draft or scheduled one changes")


async def test_the_estimator_and_a_display_refuse_as_problems(
    client: Client, world: Headers, screen: dict[str, str]
) -> None:
    for amount, message in (
        ("-1", "must be above zero"),
        ("1.001", "1.001 has more decimal places than USD allows (2)"),
    ):
        estimate = await client.post(
            "/api/v1/me/estimate",
            json={"deals": [{"amount": amount, "close_date": "2026-03-15"}]},
            headers=world["rep"],
        )
        _refused(estimate, 422, f"deals[0].amount: {message}", ("deals[0].amount", message))
    board = await client.get(
        "/api/v1/leaderboards?measure=bookings&period=2026-Q1&by=value", headers=screen
    )
    _refused(board, 403, "The bookings board by value is not on display")


async def test_a_rejected_batch_names_each_item_and_field(client: Client, auth: Headers) -> None:
    deal = {"owner": "rep-1", "currency": "USD", "close_date": "2026-02-10", "status": "won"}
    items = [{**deal, "external_id": "D-1", "amount": "abc"}, {**deal, "amount": "5"}]
    rejected = await client.post(
        "/api/v1/ingest/deals", json={"items": items}, headers=auth["admin"]
    )
    assert rejected.headers["content-type"].startswith("application/problem+json")
    assert (rejected.status_code, rejected.json()) == (
        422,
        {
            "title": "The batch was rejected; nothing was applied",
            "status": 422,
            "detail": "2 problem(s) in the batch",
            "errors": [
                {"field": "amount", "message": Amount.rule(), "item": 0, "key": "D-1"},
                {
                    "field": "external_id",
                    "message": "Object missing required field `external_id`",
                    "item": 1,
                },
            ],
        },
    )
