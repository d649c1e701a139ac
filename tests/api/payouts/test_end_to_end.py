"""From a real period close to a payroll file: statements made by the close, approved in bulk
under the four-eyes rule, disputed, exported and marked paid, and the accepted dispute paid
by the next close, every amount to the cent."""

from __future__ import annotations

from tests.api.conftest import Client, Headers


async def test_a_closed_quarter_goes_from_draft_to_paid(client: Client, world: Headers) -> None:
    auth = world
    closed = await client.post("/api/v1/periods/2026-Q1/close", headers=auth["finance"])
    assert closed.status_code == 200, closed.text

    url = "/api/v1/periods/2026-Q1/statements"
    submitted = await client.post(f"{url}/submit", headers=auth["finance"])
    assert (submitted.json()["done"], submitted.json()["skipped"]) == (3, 0)
    own = await client.post(f"{url}/approve", headers=auth["finance"])
    assert (own.json()["done"], own.json()["skipped"]) == (0, 3)
    approved = await client.post(f"{url}/approve", headers=auth["admin"])
    assert (approved.json()["done"], approved.json()["skipped"]) == (3, 0)

    mine = await client.get("/api/v1/statements?period=2026-Q1", headers=auth["rep"])
    [statement] = mine.json()
    assert (statement["total"], statement["status"]) == ("1284.57", "approved")
    opened = await client.post(
        f"/api/v1/statements/{statement['id']}/lines/1/disputes",
        json={"message": "D-2 should be 60/40, not 50/50"},
        headers=auth["rep"],
    )
    assert opened.status_code == 201, opened.text
    resolved = await client.post(
        f"/api/v1/disputes/{opened.json()['id']}/resolve",
        json={"outcome": "accepted", "adjustment": "10.00", "reason": "Split corrected to 60/40"},
        headers=auth["finance"],
    )
    assert resolved.json()["adjustment"]["period"] == "2026-Q2"

    exported = await client.post("/api/v1/payouts/export?period=2026-Q1", headers=auth["finance"])
    rows = [line.split(",") for line in exported.text.splitlines()[1:]]
    assert [(r[0], r[1], r[3], r[4], r[5]) for r in rows] == [
        ("rep-1", "Rita Rep", "USD", "1284.57", "1284.57"),
        ("rep-2", "REP-2", "USD", "50.00", "50.00"),
        ("rep-3", "REP-3", "USD", "100.00", "100.00"),
    ]
    paid = await client.post(
        "/api/v1/payouts/mark-paid", json={"period": "2026-Q1"}, headers=auth["finance"]
    )
    assert paid.json()["amounts"] == {"USD": "1434.57"}
    after = await client.get("/api/v1/statements?period=2026-Q1", headers=auth["finance"])
    assert {s["status"] for s in after.json()} == {"paid"}
    # The dispute changed no approved amount: the correction waits in the open quarter,
    # and the statement that quarter's close makes pays it.
    assert sorted(s["total"] for s in after.json()) == ["100.00", "1284.57", "50.00"]
    assert (await client.post("/api/v1/periods/2026-Q2/close", headers=auth["finance"])).is_success
    [q2] = (await client.get("/api/v1/statements?period=2026-Q2", headers=auth["rep"])).json()
    assert q2["total"] == "10.00"
    lines = (await client.get(f"/api/v1/statements/{q2['id']}", headers=auth["rep"])).json()
    assert [(line["kind"], line["amount"]) for line in lines["lines"]] == [("adjustment", "10.00")]
    dispute = await client.get(f"/api/v1/disputes/{opened.json()['id']}", headers=auth["rep"])
    assert dispute.json()["adjustment"]["statement"] == q2["id"]
