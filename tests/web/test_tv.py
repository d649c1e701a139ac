"""The office TV signed in as a display: the whole screen, initials, exact scores,
progress bars, the countdown, the prizes, the banner for the deal that moves the board,
and rotation; the leaderboards page as a display."""

from __future__ import annotations

import datetime as dt
import re

import httpx
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.conftest import Headers, make_live, race
from tests.web.conftest import PHONE, assert_accessible, assert_fits, token_of

# The screen's clock: 25 March 2026, 12:30 UTC (the browser's time zone is UTC), so the
# race ending on 31 December has 281 days, 11 hours and 30 minutes to go.
NOW = dt.datetime(2026, 3, 25, 12, 30, tzinfo=dt.UTC)
PRIZES = [
    {"rank": 1, "cash": "1000", "points": 500, "badge": "spring-winner"},
    {"rank": 2, "to_rank": 3, "cash": "250"},
    {"at_least": "10000", "points": 50},
]


async def _live_race(site: str, db: AsyncEngine, world: Headers) -> None:
    async with httpx.AsyncClient(base_url=site) as api:
        spring = race("spring-race", "Spring Race", prizes=PRIZES)
        await make_live(api, db, world["finance"], spring)


async def _sign_in_as_display(page: Page, headers: dict[str, str]) -> None:
    """Sign in through the form; a display lands on the TV."""
    await page.clock.set_fixed_time(NOW)
    await page.goto("/app/")
    await page.get_by_label("API token").fill(token_of(headers))
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("body")).to_have_class("tv")


async def test_the_tv_shows_the_board_countdown_prizes_and_celebrates_a_deal(
    page: Page, site: str, db: AsyncEngine, world: Headers, screen: dict[str, str]
) -> None:
    await _live_race(site, db, world)
    await page.set_viewport_size({"width": 1920, "height": 1080})
    await _sign_in_as_display(page, screen)
    assert page.url.endswith("#/tv")
    await expect(page.locator(".tv-title")).to_have_text("Spring Race")
    rows = page.locator(".board li")
    await expect(rows.locator(".name")).to_have_text(["Rita Rep", "REP-3", "REP-2"])
    # Every row's score, to the cent, with initials in a circle.
    await expect(rows.locator(".score")).to_have_text(["$12,845.67", "$999.99", "$500.00"])
    await expect(rows.locator(".avatar")).to_have_text(["RR", "RE", "RE"])
    # No target in the race: the bars are each score as a share of the leader's.
    bars = rows.locator("[role=progressbar]")
    await expect(bars).to_have_count(3)
    assert [await b.get_attribute("aria-valuenow") for b in await bars.all()] == ["100", "8", "4"]
    await expect(rows.locator(".bar-text")).to_have_text(
        ["100% of the leader", "8% of the leader", "4% of the leader"]
    )
    await expect(page.locator(".tv-sub")).to_contain_text("bars: score as a share of the leader's")
    # The countdown to the end of the window's last day, by the screen's clock.
    countdown = page.locator(".tv-countdown")
    await expect(countdown.locator(".cd")).to_have_text(["281 days", "11 hours", "30 minutes"])
    await expect(countdown).to_contain_text("Ends at the close of Dec 31, 2026")
    # The prizes from the contest's definition.
    prizes = page.locator(".tv-prizes li")
    await expect(prizes.locator(".prize-for")).to_have_text(
        ["1st", "2nd – 3rd", "Reaching $10,000.00"]
    )
    await expect(prizes.locator(".prize-what")).to_have_text(
        ["$1,000.00 · 500 points · badge: spring-winner", "$250.00", "50 points"]
    )
    # The whole 16:9 screen: the board reaches into the bottom fifth, the panel too.
    board = await page.locator(".board").bounding_box()
    side = await page.locator(".tv-side").bounding_box()
    assert board is not None and side is not None
    assert board["y"] + board["height"] > 0.8 * 1080
    assert side["y"] + side["height"] > 0.8 * 1080
    assert board["width"] + side["width"] > 0.85 * 1920
    # No navigation to pay on the TV, and nothing to click.
    assert await page.locator("main button, main a, main input, main select").count() == 0
    await assert_accessible(page)

    banner = page.locator(".tv-banner")
    await expect(banner).to_be_empty()
    async with httpx.AsyncClient(base_url=site, headers=world["integration"]) as api:
        deal = {
            "external_id": "D-CHEER",
            "owner": "rep-2",
            "amount": "12000",
            "currency": "USD",
            "close_date": "2026-03-20",
            "status": "won",
        }
        posted = await api.post("/api/v1/ingest/deals", json={"items": [deal]})
        assert posted.status_code == 200, posted.text
    await expect(banner).to_have_text("REP-2 just closed $12,000.00 — up to #2")
    await expect(banner).to_have_class(re.compile(r"\bcheer\b"))
    await expect(rows.locator(".name")).to_have_text(["Rita Rep", "REP-2", "REP-3"])
    await expect(rows.nth(1).locator(".score")).to_have_text("$12,500.00")
    await expect(rows.nth(1)).to_have_class(re.compile(r"\bflash-up\b"))
    assert await bars.nth(1).get_attribute("aria-valuenow") == "97"
    # The celebration respects reduced motion: no animation runs then.
    await page.emulate_media(reduced_motion="reduce")
    assert await banner.evaluate("el => getComputedStyle(el).animationName") == "none"
    await assert_accessible(page)


async def test_the_period_board_shows_attainment_toward_quota_for_every_row(
    page: Page, site: str, db: AsyncEngine, world: Headers, screen: dict[str, str]
) -> None:
    await page.set_viewport_size({"width": 1280, "height": 720})
    await _sign_in_as_display(page, screen)
    # No live contest: the quarter's bookings board, the one marked for display.
    title = page.locator(".tv-title")
    await expect(title).to_have_text("Bookings attainment, 2026-Q1")
    rows = page.locator(".board li")
    await expect(rows.first.locator(".name")).to_have_text("Rita Rep")
    await expect(rows.first.locator(".score")).to_have_text("12.85%")
    bar = rows.first.locator("[role=progressbar]")
    assert await bar.get_attribute("aria-valuenow") == "13"
    assert await bar.get_attribute("aria-valuetext") == "12.85% of quota"
    # Beside the bar, what was booked.
    await expect(rows.first.locator(".bar-text")).to_have_text("$12,845.67 bookings")
    # The rows without a quota still show what they booked: a display sees every row.
    others = rows.filter(has_not_text="Rita Rep")
    await expect(others.locator(".score")).to_have_text(["–", "–"])
    booked = sorted(await others.locator(".detail").all_inner_texts())
    assert booked == ["$500.00 bookings", "$999.99 bookings"]
    await expect(others.locator("[role=progressbar]")).to_have_count(0)
    # 2026-Q1 runs to 31 March: 6 days, 11 hours, 30 minutes from the screen's clock.
    await expect(page.locator(".tv-countdown .cd")).to_have_text(
        ["6 days", "11 hours", "30 minutes"]
    )
    board = await page.locator(".board").bounding_box()
    assert board is not None and board["y"] + board["height"] > 0.8 * 720
    await assert_accessible(page)


async def test_the_tv_rotates_and_escape_leaves_for_a_display_nav_without_pay(
    page: Page, site: str, db: AsyncEngine, world: Headers, screen: dict[str, str]
) -> None:
    await _live_race(site, db, world)
    await _sign_in_as_display(page, screen)
    await page.goto("/app/#/tv?rotate=3")
    title = page.locator(".tv-title")
    await expect(title).to_have_text("Spring Race")
    await expect(title).to_have_text("Bookings attainment, 2026-Q1")
    await expect(title).to_have_text("Spring Race")
    await page.keyboard.press("Escape")
    await expect(page.get_by_role("heading", name="Leaderboards")).to_be_visible()
    # A display's navigation holds only what it may open.
    await expect(page.locator("#nav a")).to_have_text(["Leaderboards"])
    board = page.get_by_role("list", name="Spring Race standings")
    await expect(board.locator(".score")).to_have_text(["$12,845.67", "$999.99", "$500.00"])
    await page.get_by_role("button", name="Show").click()
    table = page.get_by_role("table")
    await expect(table.locator("tbody tr")).to_have_count(3)
    mine = table.locator("tbody tr").first
    await expect(mine.locator("td")).to_have_text(["1", "Rita Rep", "$12,845.67", "12.85%"])
    await assert_accessible(page)
    await page.set_viewport_size(PHONE)
    await assert_fits(page)
    await assert_accessible(page)


async def test_bars_run_toward_each_ones_target_when_the_contest_has_one(
    page: Page, site: str, db: AsyncEngine, world: Headers, screen: dict[str, str]
) -> None:
    target = {"basis": "percent_of_target", "target": {"measure": "bookings", "period": "2026-Q1"}}
    async with httpx.AsyncClient(base_url=site) as api:
        await make_live(api, db, world["finance"], race("quota-race", "Quota Race", ranking=target))
    await _sign_in_as_display(page, screen)
    await page.goto("/app/#/tv?boards=quota-race&period=off")
    await expect(page.locator(".tv-title")).to_have_text("Quota Race")
    await expect(page.locator(".tv-sub")).to_contain_text("toward each one's target")
    rows = page.locator(".board li")
    # rep-1's whole Q1 quota is the target (the window holds all of Q1): 12,845.67 of it.
    leader = rows.first
    await expect(leader.locator(".name")).to_have_text("Rita Rep")
    await expect(leader.locator(".bar-text")).to_have_text("12.85% of target")
    assert await leader.locator("[role=progressbar]").get_attribute("aria-valuenow") == "13"
    # Without a quota there is no target, so no bar: the score still shows.
    await expect(rows.locator("[role=progressbar]")).to_have_count(1)
    await expect(rows.nth(1).locator(".score")).not_to_be_empty()
    await assert_accessible(page)
