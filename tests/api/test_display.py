"""The display role: an office screen reads the boards meant for it, with every row's
figures, and nothing of anyone's pay."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api.app import create_app
from incentives.api.loopback import loopback
from incentives.auth.principals import by_tokens
from incentives.cli import main
from incentives.db.connection import driver_of
from incentives.games.display import BoardBasis, DisplayedBoard, parse_boards
from tests.api.conftest import Client, Headers, app_routes, make_live, post_deal, race
from tests.api.test_games_stream import events
from tests.http import api_client

# What a display may open; every other route answers it 403.
OPEN_TO_DISPLAY = {
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/periods"),
    ("GET", "/api/v1/contests"),
    ("GET", "/api/v1/contests/deals"),
    ("GET", "/api/v1/contests/deals/leaderboard"),
    ("GET", "/api/v1/contests/deals/leaderboard/stream"),
    ("GET", "/api/v1/leaderboards"),
    ("GET", "/api/v1/leaderboards/displayed"),
}
PUBLIC = {"/health", "/", "/app", "/app/{file_path:path}"}


async def _contests(client: Client, db: AsyncEngine, world: Headers) -> None:
    """A live public race, a live test race and a scheduled one."""
    await make_live(
        client,
        db,
        world["finance"],
        race("spring-race", "Spring Race", prizes=[{"rank": 1, "cash": "100"}]),
        race("trial", "Trial", visibility="test"),
    )
    later = race("autumn", "Autumn", window={"from": "2027-01-01", "to": "2027-01-31"})
    assert (await client.post("/api/v1/contests", json=later, headers=world["finance"])).is_success
    scheduled = await client.post("/api/v1/contests/autumn/schedule", headers=world["finance"])
    assert scheduled.json()["status"] == "scheduled"


async def test_a_display_reads_public_contest_boards_with_every_score(
    client: Client, db: AsyncEngine, world: Headers, screen: dict[str, str]
) -> None:
    await _contests(client, db, world)
    me = await client.get("/api/v1/me", headers=screen)
    assert me.json() == {"name": "Office TV", "role": "display", "participant": None}
    listed = await client.get("/api/v1/contests", headers=screen)
    assert listed.status_code == 200
    # Neither the test contest nor the one not yet started is on the wall.
    assert [c["key"] for c in listed.json()] == ["spring-race"]
    assert listed.json()[0]["definition"]["prizes"][0]["cash"] in ("100", 100)
    board = await client.get("/api/v1/contests/spring-race/leaderboard", headers=screen)
    assert board.status_code == 200
    assert [(r["name"], r["score"]) for r in board.json()["rows"]] == [
        ("Rita Rep", "12845.67"),
        ("REP-3", "999.99"),
        ("REP-2", "500.00"),
    ]
    assert board.json()["me"] is None
    for hidden in ("trial", "autumn"):
        answer = await client.get(f"/api/v1/contests/{hidden}/leaderboard", headers=screen)
        assert answer.status_code == 404, hidden


async def test_a_display_reads_the_displayed_period_board_with_every_figure(
    client: Client, world: Headers, screen: dict[str, str]
) -> None:
    asked = {"measure": "bookings", "period": "2026-Q1", "by": "attainment"}
    board = await client.get("/api/v1/leaderboards", params=asked, headers=screen)
    assert board.status_code == 200, board.text
    rows = [(r["rank"], r["name"], r["value"], r["attainment"]) for r in board.json()["rows"]]
    # Without a quota there is no attainment (ranked last, together); the value shows.
    assert sorted(rows) == [
        (1, "Rita Rep", "12845.67", "0.1285"),
        (2, "REP-2", "500.00", None),
        (2, "REP-3", "999.99", None),
    ]
    # A rep on the same board sees only their own figures: the display is what fixes it.
    as_rep = await client.get("/api/v1/leaderboards", params=asked, headers=world["rep"])
    assert sorted(r["value"] or "-" for r in as_rep.json()["rows"]) == ["-", "-", "12845.67"]
    # Boards not marked for display are refused, not shown as bare names.
    for other in ({**asked, "by": "value"}, {**asked, "measure": "meetings"}):
        refused = await client.get("/api/v1/leaderboards", params=other, headers=screen)
        assert refused.status_code == 403, other
    shown = await client.get("/api/v1/leaderboards/displayed", headers=screen)
    assert shown.json() == [{"measure": "bookings", "by": "attainment"}]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/me/earnings",
        "/api/v1/me/attainment",
        "/api/v1/me/statements",
        "/api/v1/participants/rep-1/earnings",
        "/api/v1/participants/rep-1/attainment",
        "/api/v1/participants/rep-1/statements",
        "/api/v1/participants/rep-1/achievements",
        "/api/v1/statements",
        "/api/v1/teams",
        "/api/v1/teams/east/attainment",
        "/api/v1/disputes",
        "/api/v1/audit",
        "/api/v1/contests/spring-race/participants",
    ],
)
async def test_a_display_is_refused_every_pay_read(
    client: Client, world: Headers, screen: dict[str, str], path: str
) -> None:
    refused = await client.get(path, headers=screen)
    assert refused.status_code == 403, refused.text
    assert refused.json()["title"] == "A display reads boards only"
    # The same reads are open to finance: it is the role that is refused, not the path.
    assert (await client.get(path, headers=world["finance"])).status_code != 403


async def test_a_display_is_refused_the_estimate_and_every_write(
    client: Client, db: AsyncEngine, world: Headers, screen: dict[str, str]
) -> None:
    deal = {"deals": [{"amount": "1000", "close_date": "2026-03-20"}]}
    estimate = await client.post("/api/v1/me/estimate", json=deal, headers=screen)
    assert estimate.status_code == 403
    for method, path in app_routes(create_app(db)):
        if path in PUBLIC or (method, path) in OPEN_TO_DISPLAY:
            continue
        answer = await client.request(method, path, headers=screen)
        assert answer.status_code == 403, (method, path, answer.text)


async def test_the_displayed_boards_come_from_the_setting(
    db: AsyncEngine, world: Headers, screen: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert parse_boards(" bookings:attainment , meetings:value,bookings") == {
        DisplayedBoard("bookings", BoardBasis.ATTAINMENT),
        DisplayedBoard("meetings", BoardBasis.VALUE),
    }
    with pytest.raises(ValueError, match="INCENTIVES_DISPLAY_BOARDS"):
        parse_boards("bookings:best")
    monkeypatch.setenv("INCENTIVES_DISPLAY_BOARDS", "bookings:value")
    asked = {"measure": "bookings", "period": "2026-Q1"}
    async with api_client(db) as other:
        shown = await other.get("/api/v1/leaderboards/displayed", headers=screen)
        assert shown.json() == [{"measure": "bookings", "by": "value"}]
        by_value = await other.get(
            "/api/v1/leaderboards", params={**asked, "by": "value"}, headers=screen
        )
        assert [r["value"] for r in by_value.json()["rows"]] == ["12845.67", "999.99", "500.00"]
        by_attainment = await other.get("/api/v1/leaderboards", params=asked, headers=screen)
        assert by_attainment.status_code == 403


async def test_users_create_makes_a_display(
    db: AsyncEngine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("INCENTIVES_DATABASE_URL", database_url)
    args = ["users", "create", "--role", "display", "--name", "Office TV"]
    assert await asyncio.to_thread(main, args) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    async with db.connect() as conn:
        grant = (await by_tokens(await driver_of(conn), [token])).get(token)
    assert grant is not None
    principal = grant.principal
    assert (principal.name, principal.role, principal.participant_id) == (
        "Office TV",
        "display",
        None,
    )


async def test_the_stream_says_who_moved_and_what_they_gained(
    db: AsyncEngine, world: Headers, screen: dict[str, str]
) -> None:
    async with (
        loopback(db) as base,
        httpx.AsyncClient(base_url=base, timeout=10) as client,
    ):
        await make_live(client, db, world["finance"], race("spring-race", "Spring Race"))
        url = "/api/v1/contests/spring-race/leaderboard/stream"
        async with client.stream("GET", url, headers=screen) as response:
            assert response.status_code == 200
            stream = events(response)
            name, first = await anext(stream)
            assert name == "leaderboard"
            assert [r["subject"] for r in first["rows"]] == ["rep-1", "rep-3", "rep-2"]
            await post_deal(client, world["integration"], "D-UP", "rep-2", "13000", "2026-03-20")
            name, moved = await asyncio.wait_for(anext(stream), timeout=5.0)
            assert name == "standings"
            [change] = moved["changes"]
            assert {k: change[k] for k in ("rank", "subject", "name", "score")} == {
                "rank": 1,
                "subject": "rep-2",
                "name": "REP-2",
                "score": "13500.00",
            }
            # Where it stood just before, and what the deal added.
            assert (change["previous_rank"], change["previous_score"], change["gained"]) == (
                3,
                "500.00",
                "13000.00",
            )
            assert [r["subject"] for r in moved["top"]] == ["rep-2", "rep-1", "rep-3"]
