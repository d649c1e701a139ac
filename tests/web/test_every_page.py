"""Every page, as each role opens it: no serious or critical accessibility violation
(axe-core), nothing cut off at 360 px, no error in the console (the page fixture)."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.api.conftest import Headers
from tests.web.conftest import PHONE, assert_accessible, assert_fits, sign_in

# (role, page, what is on screen once it has rendered)
PAGES = [
    ("rep", "#/pay", 'figure[data-chart="pacing"]'),
    ("rep", "#/boards", "#period-title"),
    ("manager", "#/pay", 'section[aria-labelledby="games-title"] .card'),
    ("manager", "#/team?period=2026-Q1", 'figure[data-chart="distribution"]'),
    ("manager", "#/contests/new", "form"),
    ("manager", "#/people/rep-1?period=2026-Q1", "details.line"),
    ("finance", "#/finance", '.stage[data-stage="disputes"]'),
    ("finance", "#/payouts", "h1"),
    ("finance", "#/disputes", "form"),
    ("finance", "#/audit", "tr[data-audit]"),
    ("finance", "#/webhooks", ".empty"),
    ("finance", "#/webhooks/new", "form"),
]


@pytest.mark.parametrize(("role", "where", "ready"), PAGES, ids=[f"{r}{w}" for r, w, _ in PAGES])
async def test_the_page_is_accessible_and_fits_a_phone(
    page: Page, world: Headers, role: str, where: str, ready: str
) -> None:
    await sign_in(page, world[role])
    await page.goto(f"/app/{where}")
    await expect(page.locator(f"main {ready}").first).to_be_visible()
    await expect(page.locator("main")).not_to_contain_text("Loading…")
    await assert_accessible(page)
    await page.set_viewport_size(PHONE)
    await assert_fits(page)
    await assert_accessible(page)
