"""Managers on the web page: the team's attainment and a contest made through the form."""

from __future__ import annotations

import datetime as dt

import httpx
from playwright.async_api import Page, expect

from tests.api.conftest import Headers
from tests.web.conftest import PHONE, Console, assert_accessible, assert_fits, sign_in


async def test_a_manager_sees_the_team_and_opens_a_members_pay(page: Page, world: Headers) -> None:
    await sign_in(page, world["manager"])
    await page.get_by_role("link", name="Team").click()
    await page.get_by_label("Period", exact=True).select_option("2026-Q1")
    table = page.get_by_role("table", name="2 member measure(s), sorted by attainment")
    rows = table.locator("tbody tr")
    await expect(rows).to_have_count(2)
    # The quarter is over: the projection is where it ended, below quota.
    await expect(rows.first.locator("td")).to_have_text(
        [
            "Rita Rep",
            "Bookings (Flat ten percent)",
            "12,845.67",
            "100,000.00",
            "12.85%",
            "12.85%",
            "Below quota",
            "12.85%",
        ]
    )
    # rep-2 has bookings (half of D-2) but no quota.
    await expect(rows.nth(1).locator("td").nth(2)).to_have_text("500.00")
    total = table.locator("tfoot tr")
    await expect(total).to_have_text(
        "Team total (2)Bookings (Flat ten percent)13,345.67100,000.0012.85%0 at risk"
    )
    # Sorted by name at a click on the head; the URL keeps the choice.
    await table.get_by_role("link", name="Member").click()
    sorted_rows = page.get_by_role("table", name="2 member measure(s), sorted by name")
    await expect(sorted_rows.locator("tbody tr").first).to_contain_text("REP-2")
    chart = page.locator('figure[data-chart="distribution"]')
    await expect(chart.get_by_role("img")).to_have_attribute(
        "aria-label",
        "Attainment distribution: Below 50%: 1, 50–75%: 0, 75–100%: 0, 100–125%: 0,"
        " 125–150%: 0, 150% and more: 0; 0 of 1 at or above quota.",
    )
    await assert_accessible(page)
    await page.set_viewport_size(PHONE)
    await assert_fits(page)
    await page.set_viewport_size({"width": 1280, "height": 900})
    await sorted_rows.locator("tbody tr").filter(has_text="REP-2").get_by_role("link").click()
    await expect(page.get_by_role("heading", name="Pay of REP-2")).to_be_visible()
    await expect(page.locator("details.line .amount")).to_have_text("$50.00")


async def test_a_manager_without_deals_is_offered_no_estimator(page: Page, world: Headers) -> None:
    await sign_in(page, world["manager"])
    await expect(page.get_by_role("heading", name="My pay")).to_be_visible()
    await expect(page.get_by_role("region", name="Points and badges")).to_be_visible()
    await expect(page.get_by_role("heading", name="Estimate a deal")).to_have_count(0)
    await expect(page.get_by_label("Deal amount (USD)")).to_have_count(0)


async def test_a_manager_creates_a_contest_through_the_form(
    page: Page, site: str, world: Headers, console: Console
) -> None:
    console.expect(r"status of 422")
    # A contest can only be scheduled while its window is ahead.
    first = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=10)
    last = first + dt.timedelta(days=29)
    await sign_in(page, world["manager"])
    await page.get_by_role("link", name="New contest").click()
    await page.get_by_label("Name").fill("April Push")
    await expect(page.get_by_label("Key")).to_have_value("april-push")
    await page.get_by_label("First day").fill(last.isoformat())
    await page.get_by_label("Last day").fill(first.isoformat())
    await page.get_by_label("Cash").fill("250")
    await page.get_by_role("button", name="Create contest").click()
    # The API's message, beside the field it names and in the summary.
    last_day = page.get_by_label("Last day")
    await expect(last_day).to_have_attribute("aria-invalid", "true")
    async with httpx.AsyncClient(base_url=site, headers=world["manager"]) as api:
        refused = await api.post(
            "/api/v1/contests",
            json={
                "key": "x",
                "name": "x",
                "window": {"from": last.isoformat(), "to": first.isoformat()},
                "score": {"type": "total", "source": "deals", "aggregate": "sum"},
                "currency": "USD",
            },
        )
    problem = next(p for p in refused.json()["errors"] if p["field"] == "window.to")
    note = f"window.to: {problem['message']}"
    await expect(page.locator(".field-error")).to_have_text(note)
    await expect(page.get_by_role("alert").first).to_contain_text(note)

    await last_day.fill(last.isoformat())
    await page.get_by_label("First day").fill(first.isoformat())
    await page.get_by_role("checkbox", name="east").check()
    await page.get_by_role("button", name="Create contest").click()
    await expect(page.locator("[data-contest=april-push]")).to_contain_text("as a draft")
    await expect(last_day).not_to_have_attribute("aria-invalid", "true")
    await page.get_by_role("button", name="Schedule it").click()
    await expect(page.locator("[data-contest=april-push]")).to_contain_text(
        f"is scheduled; it goes live on {first.isoformat()}"
    )

    async with httpx.AsyncClient(base_url=site, headers=world["manager"]) as api:
        made = (await api.get("/api/v1/contests/april-push")).json()
    assert made["status"] == "scheduled"
    assert made["window"] == {"from": first.isoformat(), "to": last.isoformat()}
    definition = made["definition"]
    assert definition["participants"] == {"teams": ["east"]}
    assert definition["prizes"] == [{"rank": 1, "cash": "250"}]
    assert definition["score"] == {"type": "total", "source": "deals", "aggregate": "sum"}
