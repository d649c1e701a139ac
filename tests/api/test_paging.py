"""One paging rule: every list takes ``limit`` (1 to 500) and ``offset``, and answers with
its total in ``X-Total-Count`` and the next and previous pages in ``Link``."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.conftest import IN_LINE, Client, Headers, make_live, race


async def test_a_page_of_statements_names_the_total_and_its_neighbours(
    client: Client, world: Headers
) -> None:
    finance = world["finance"]
    assert (await client.post("/api/v1/periods/2026-Q1/close", headers=finance)).is_success
    first = await client.get("/api/v1/statements?period=2026-Q1&limit=2", headers=finance)
    # By name: REP-2, REP-3, Rita Rep.
    assert [s["participant"] for s in first.json()] == ["rep-2", "rep-3"]
    assert first.headers["X-Total-Count"] == "3"
    assert first.headers["Link"] == (
        '</api/v1/statements?period=2026-Q1&limit=2&offset=2>; rel="next"'
    )
    last = await client.get("/api/v1/statements?period=2026-Q1&limit=2&offset=2", headers=finance)
    assert [s["participant"] for s in last.json()] == ["rep-1"]
    assert last.headers["X-Total-Count"] == "3"
    assert last.headers["Link"] == (
        '</api/v1/statements?period=2026-Q1&limit=2&offset=0>; rel="prev"'
    )
    # Past the end: nothing, and still the total.
    past = await client.get("/api/v1/statements?limit=2&offset=10", headers=finance)
    assert past.json() == []
    assert past.headers["X-Total-Count"] == "3"
    # A rep's total counts only what they may see.
    mine = await client.get("/api/v1/statements", headers=world["rep"])
    assert mine.headers["X-Total-Count"] == "1"
    assert "Link" not in mine.headers


async def test_disputes_and_my_statements_are_paged_the_same_way(
    client: Client, world: Headers
) -> None:
    finance, rep = world["finance"], world["rep"]
    assert (await client.post("/api/v1/periods/2026-Q1/close", headers=finance)).is_success
    [mine] = (await client.get("/api/v1/statements", headers=rep)).json()
    opened = await client.post(
        f"/api/v1/statements/{mine['id']}/lines/1/disputes", json={"message": "Why?"}, headers=rep
    )
    assert opened.status_code == 201, opened.text
    disputes = await client.get("/api/v1/disputes?limit=1", headers=finance)
    assert disputes.headers["X-Total-Count"] == "1"
    assert "Link" not in disputes.headers
    statements = await client.get("/api/v1/me/statements?limit=1&offset=1", headers=rep)
    assert statements.json() == []
    assert statements.headers["X-Total-Count"] == "1"  # the closed Q1's statement
    assert statements.headers["Link"] == '</api/v1/me/statements?limit=1&offset=0>; rel="prev"'


@pytest.mark.parametrize("limit", ["0", "501"])
async def test_one_limit_rule_everywhere(client: Client, world: Headers, limit: str) -> None:
    for path in (
        "/api/v1/statements",
        "/api/v1/disputes",
        "/api/v1/audit",
        "/api/v1/me/statements",
    ):
        who = world["rep"] if path.startswith("/api/v1/me") else world["finance"]
        refused = await client.get(f"{path}?limit={limit}", headers=who)
        assert refused.status_code == 400, (path, refused.text)
        assert refused.json()["errors"][0]["field"] == "limit"


async def test_contests_page_and_count_only_what_their_reader_may_see(
    client: Client, db: AsyncEngine, world: Headers
) -> None:
    await make_live(
        client,
        db,
        world["manager"],
        race("spring", "Spring race", participants=IN_LINE),
        race(
            "summer",
            "Summer race",
            window={"from": "2027-06-01", "to": "2027-08-31"},
            participants=IN_LINE,
        ),
        race("trial", "Trial race", visibility="test", participants=IN_LINE),
    )
    draft = await client.post(
        "/api/v1/contests",
        json=race("autumn", "Autumn race", participants=IN_LINE),
        headers=world["manager"],
    )
    assert draft.status_code == 201, draft.text
    # The rep: the two public ones that are scheduled or live, newest window first.
    first = await client.get("/api/v1/contests?limit=1", headers=world["rep"])
    assert [c["key"] for c in first.json()] == ["summer"]
    assert first.headers["X-Total-Count"] == "2"
    assert first.headers["Link"] == '</api/v1/contests?limit=1&offset=1>; rel="next"'
    second = await client.get("/api/v1/contests?limit=1&offset=1", headers=world["rep"])
    assert [c["key"] for c in second.json()] == ["spring"]
    # Their manager also sees the trial and the draft; finance sees all four as well.
    for who in ("manager", "finance"):
        every = await client.get("/api/v1/contests", headers=world[who])
        assert every.headers["X-Total-Count"] == "4", who
        assert {c["key"] for c in every.json()} == {"spring", "summer", "trial", "autumn"}
    live = await client.get("/api/v1/contests?status=live", headers=world["rep"])
    assert [c["key"] for c in live.json()] == ["spring"]
    unknown = await client.get("/api/v1/contests?status=over", headers=world["rep"])
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["field"] == "status"
