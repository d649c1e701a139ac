"""Managers and finance on the web page: the team's attainment, a contest made through
the form, statements approved in bulk."""

from __future__ import annotations

import datetime as dt

import httpx
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.auth import principals
from incentives.db.connection import driver_transaction
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


async def test_finance_approves_a_submitted_statement(
    page: Page, site: str, db: AsyncEngine, world: Headers, console: Console
) -> None:
    console.expect(r"status of 403")
    async with httpx.AsyncClient(base_url=site, headers=world["finance"]) as api:
        closed = await api.post("/api/v1/periods/2026-Q1/close")
        assert closed.status_code == 200, closed.text
        listed = await api.get("/api/v1/statements?period=2026-Q1&participant=rep-1")
        statement = listed.json()[0]["id"]
        submitted = await api.post(f"/api/v1/statements/{statement}/submit")
        assert submitted.status_code == 200, submitted.text
    async with driver_transaction(db) as conn:
        _, second = await principals.create(
            conn, name="second finance", role="finance", participant=None, actor=CLI_ACTOR
        )

    # Whoever submitted may not approve: the page says so and nothing changes.
    await sign_in(page, world["finance"])
    await page.goto("/app/#/finance?period=2026-Q1&status=submitted")
    row = page.locator(f'tr[data-statement="{statement}"]')
    await expect(row).to_contain_text("$1,284.57")
    await expect(page.locator("caption")).to_have_text("1 submitted statement(s), $1,284.57")
    await row.get_by_role("checkbox").check()
    await page.get_by_role("button", name="Approve").click()
    await expect(page.get_by_role("status").filter(has_text="Result of approve")).to_contain_text(
        "Rita Rep:"
    )
    await expect(row.locator(".badge")).to_have_text("submitted")

    await page.get_by_role("button", name="Sign out").click()
    await sign_in(page, {"Authorization": f"Bearer {second}"})
    await expect(page.get_by_role("heading", name="Statements 2026-Q1")).to_be_visible()
    await expect(page.get_by_label("Status", exact=True)).to_have_value("submitted")
    await page.get_by_label("Select all").check()
    await page.get_by_role("button", name="Approve").click()
    await expect(page.get_by_text("Rita Rep: approved")).to_be_visible()
    await expect(page.get_by_text("No submitted statements for 2026-Q1.")).to_be_visible()
    async with httpx.AsyncClient(base_url=site, headers=world["finance"]) as api:
        approved = (await api.get(f"/api/v1/statements/{statement}")).json()
    assert approved["status"] == "approved"
    assert approved["total"] == "1284.57"


async def test_finance_rejects_in_bulk_only_with_a_reason(
    page: Page, site: str, world: Headers
) -> None:
    async with httpx.AsyncClient(base_url=site, headers=world["finance"]) as api:
        assert (await api.post("/api/v1/periods/2026-Q1/close")).status_code == 200
        submitted = await api.post("/api/v1/periods/2026-Q1/statements/submit")
        assert submitted.status_code == 200, submitted.text
    await sign_in(page, world["finance"])
    rows = page.locator("tbody tr[data-statement]")
    await expect(rows).to_have_count(3)
    await page.get_by_label("Select all").check()
    await page.get_by_role("button", name="Reject").click()
    await expect(page.get_by_role("alert")).to_have_text("Say why the statements are rejected.")
    await expect(page.get_by_label("Reason")).to_be_focused()
    await page.get_by_label("Reason").fill("Quota for Q1 was wrong")
    await page.get_by_role("button", name="Reject").click()
    await expect(page.get_by_text("No submitted statements for 2026-Q1.")).to_be_visible()
    await page.get_by_label("Status", exact=True).select_option("draft")
    await expect(rows).to_have_count(3)
    await expect(rows.first).to_contain_text("Quota for Q1 was wrong")
    async with httpx.AsyncClient(base_url=site, headers=world["finance"]) as api:
        drafts = (await api.get("/api/v1/statements?period=2026-Q1&status=draft")).json()
    assert {s["rejected_reason"] for s in drafts} == {"Quota for Q1 was wrong"}


async def test_finance_lands_on_the_statements_waiting_for_approval(
    page: Page, site: str, world: Headers
) -> None:
    async with httpx.AsyncClient(base_url=site, headers=world["finance"]) as api:
        for quarter in ("2026-Q1", "2026-Q2"):
            closed = await api.post(f"/api/v1/periods/{quarter}/close")
            assert closed.status_code == 200, closed.text
        listed = await api.get("/api/v1/statements?period=2026-Q1&participant=rep-1")
        submitted = await api.post(f"/api/v1/statements/{listed.json()[0]['id']}/submit")
        assert submitted.status_code == 200, submitted.text

    # The newest closed quarter holds only drafts: the one waiting for approval comes first.
    await sign_in(page, world["finance"])
    await page.goto("/app/#/finance")
    await expect(page.get_by_role("heading", name="Statements 2026-Q1")).to_be_visible()
    await expect(page.get_by_label("Status", exact=True)).to_have_value("submitted")
    await expect(page.locator("caption")).to_have_text("1 submitted statement(s), $1,284.57")
