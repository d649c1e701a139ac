"""Leaderboards on the web page: contest and period boards, and the TV view moving live."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.conftest import Headers, make_live, race
from tests.web.conftest import sign_in


async def _live_race(site: str, db: AsyncEngine, world: Headers) -> None:
    async with httpx.AsyncClient(base_url=site) as api:
        spring = race("spring-race", "Spring Race", prizes=[{"rank": 1, "cash": "100"}])
        await make_live(api, db, world["finance"], spring)


async def test_a_deal_moves_the_tv_board_without_a_reload(
    page: Page, site: str, db: AsyncEngine, world: Headers
) -> None:
    await _live_race(site, db, world)
    await sign_in(page, world["rep"])
    await page.goto("/app/#/tv?boards=spring-race&period=off")
    await expect(page.locator("body")).to_have_class("tv")
    await expect(page.locator("#top")).to_be_hidden()
    await expect(page.get_by_role("heading", name="Spring Race")).to_be_visible()
    rows = page.locator(".board li")
    # rep-1: 12,345.67 + half of 1,000; rep-3: 999.99; rep-2: the other half.
    await expect(rows.locator(".name")).to_have_text(["Rita Rep", "REP-3", "REP-2"])
    await expect(rows.first.locator(".score")).to_have_text("$12,845.67")
    await expect(page.locator(".tv-sub")).to_contain_text("bars: score as a share of the leader's")
    await page.evaluate("window.stillTheSamePage = true")

    async with httpx.AsyncClient(base_url=site, headers=world["integration"]) as api:
        deal = {
            "external_id": "D-BIG",
            "owner": "rep-3",
            "amount": "20000",
            "currency": "USD",
            "close_date": "2026-03-20",
            "status": "won",
        }
        posted = await api.post("/api/v1/ingest/deals", json={"items": [deal]})
        assert posted.status_code == 200, posted.text

    await expect(rows.locator(".name")).to_have_text(["REP-3", "Rita Rep", "REP-2"])
    # A rep sees others climb, not their bookings: only their own score is shown.
    await expect(rows.first.locator(".score")).to_have_text("")
    await expect(rows.nth(1).locator(".score")).to_have_text("$12,845.67")
    # With the leader's score hidden, no bar claims to be a share of it.
    await expect(page.locator(".tv-sub")).to_contain_text("scores only where you may see pay")
    await expect(rows.locator("[role=progressbar]")).to_have_count(0)
    # The move is animated: the climber flashes up, the one it passed flashes down.
    await expect(rows.first).to_have_class("flash-up")
    await expect(rows.nth(1)).to_have_class("flash-down")
    assert await page.evaluate("window.stillTheSamePage") is True
    # Escape leaves the TV view for the leaderboards.
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("heading", name="Leaderboards")).to_be_visible()


async def test_leaderboards_show_contest_and_period_boards(
    page: Page, site: str, db: AsyncEngine, world: Headers
) -> None:
    await _live_race(site, db, world)
    await sign_in(page, world["rep"])
    await page.get_by_role("link", name="Leaderboards").click()
    await expect(page.get_by_label("Contest", exact=True)).to_have_value("spring-race")
    board = page.get_by_role("list", name="Spring Race standings")
    await expect(board.locator("li.me .name")).to_have_text("Rita Rep")
    await expect(page.locator(".mine")).to_have_text("Your place: 1 of 3")
    # The period board: names and ranks for all, figures only for the rep's own row.
    await page.get_by_label("Period", exact=True).select_option("2026-Q1")
    await page.get_by_label("Rank by").select_option("value")
    await page.get_by_role("button", name="Show").click()
    table = page.get_by_role("table")
    await expect(table.locator("tbody tr")).to_have_count(3)
    mine = table.locator("tr.me")
    await expect(mine.locator("td")).to_have_text(["1", "Rita Rep", "$12,845.67", "12.85%"])
    other = table.locator("tbody tr").filter(has_text="REP-3")
    await expect(other.locator("td")).to_have_text(["2", "REP-3", "–", "–"])


async def test_the_tv_view_rotates_between_boards(
    page: Page, site: str, db: AsyncEngine, world: Headers
) -> None:
    await _live_race(site, db, world)
    await sign_in(page, world["rep"])
    await page.goto("/app/#/tv?rotate=3")
    title = page.locator(".tv-title")
    await expect(title).to_have_text("Spring Race")
    await expect(title).to_have_text(re.compile(r"^Bookings attainment, \d{4}-Q\d$"))
    await expect(title).to_have_text("Spring Race")
    # Nothing to click: the TV view has no controls.
    assert await page.locator("main button, main a, main input, main select").count() == 0
