"""A line explained through the API, word for word: the line totalled apart from its
period, an adjustment told by the closed period it changes, and a year-to-date line by
the deals of the year so far."""

from __future__ import annotations

from tests.api.conftest import FLAT, Client, Headers, post_deal


async def test_an_adjustment_and_a_line_are_explained_apart_from_the_period(
    client: Client, world: Headers
) -> None:
    closed = await client.post("/api/v1/periods/2026-Q1/close", headers=world["finance"])
    assert closed.status_code == 200, closed.text
    # Q1 paid 10% of 12,845.67 = 1,284.57; D-5 lands in the closed quarter afterwards.
    await post_deal(client, world["integration"], "D-5", "rep-1", "2000", "2026-03-20")
    await post_deal(client, world["integration"], "D-6", "rep-1", "5000", "2026-05-05")
    run = await client.post(
        "/api/v1/calc-runs", json={"period": "2026-Q2"}, headers=world["finance"]
    )
    assert run.json()["status"] == "succeeded", run.text
    base = "/api/v1/me/earnings/flat:2026-Q2"
    adjustment = await client.get(f"{base}:2/explain", headers=world["rep"])
    assert adjustment.json()["text"] == "\n".join(
        [
            "Rita Rep (rep-1), 2026-Q2",
            "Commission: adjustment for 2026-Q1: $200.00",
            "  2026-Q1 is closed: it paid $1,284.57 for this and now comes to $1,484.57; the"
            " difference, $200.00, is paid here.",
            "  Deals whose credit to 2026-Q1 changed:",
            "    D-5 added ($2,000.00)",
            "No quota for Bookings in 2026-Q2.",
            "This line: $200.00",
            "Total for 2026-Q2: $700.00",
        ]
    )
    commission = await client.get(f"{base}:1/explain", headers=world["rep"])
    assert commission.json()["text"] == "\n".join(
        [
            "Rita Rep (rep-1), 2026-Q2",
            "You closed $5,000.00 of Bookings.",
            "Deals credited to you:",
            "  D-6 closed 2026-05-05: $5,000.00",
            "Commission: $500.00",
            "  $5,000.00 at 10%: $500.00.",
            "No quota for Bookings in 2026-Q2.",
            "This line: $500.00",
            "Total for 2026-Q2: $700.00",
        ]
    )


async def test_a_year_to_date_line_lists_the_deals_of_the_year_so_far(
    client: Client, world: Headers
) -> None:
    to_date = FLAT.replace("version: 1", "version: 2") + "true_up: year_to_date\n"
    published = await client.post(
        "/api/v1/plans", json={"source": to_date}, headers=world["finance"]
    )
    assert published.status_code == 201, published.text
    await post_deal(client, world["integration"], "D-6", "rep-1", "5000", "2026-05-05")
    for period in ("2026-Q1", "2026-Q2"):
        run = await client.post(
            "/api/v1/calc-runs", json={"period": period}, headers=world["finance"]
        )
        assert run.json()["status"] == "succeeded", run.text
    explained = await client.get("/api/v1/me/earnings/flat:2026-Q2:1/explain", headers=world["rep"])
    # 10% of the year so far, 17,845.67, less the 1,284.57 Q1 paid; its deals are the year's.
    assert explained.json()["text"] == "\n".join(
        [
            "Rita Rep (rep-1), 2026-Q2",
            "You are credited $17,845.67 of Bookings year to date (split deals at your share).",
            "Deals credited to you:",
            "  D-1 closed 2026-02-10: $12,345.67",
            "  D-2 closed 2026-03-31: $500.00 (50% split)",
            "  D-6 closed 2026-05-05: $5,000.00",
            "Commission: $500.00",
            "  $17,845.67 at 10%: $1,784.57.",
            "  Year to date this comes to $1,784.57; earlier periods of the year paid $1,284.57.",
            "  The exact year-to-date amount, 1784.567, is rounded half-up to $1,784.57.",
            "No quota for Bookings in 2026.",
            "This line: $500.00",
            "Total for 2026-Q2: $500.00",
        ]
    )
    assert [d["deal"] for d in explained.json()["deals"]] == ["D-1", "D-2", "D-6"]


async def test_a_cancelled_deal_says_when(client: Client, world: Headers) -> None:
    # The flat plan has no clawback, so the cancelled deal keeps its credit.
    await post_deal(
        client,
        world["integration"],
        "D-7",
        "rep-1",
        "100",
        "2026-02-20",
        status="cancelled",
        cancel_date="2026-03-01",
    )
    run = await client.post(
        "/api/v1/calc-runs", json={"period": "2026-Q1"}, headers=world["finance"]
    )
    assert run.json()["status"] == "succeeded", run.text
    explained = await client.get("/api/v1/me/earnings/flat:2026-Q1:1/explain", headers=world["rep"])
    assert (
        "  D-7 closed 2026-02-20: $100.00; cancelled 2026-03-01"
        in explained.json()["text"].splitlines()
    )
