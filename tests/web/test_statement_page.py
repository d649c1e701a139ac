"""A closed period's statement on the page: its lines to the cent, the CSV download, a
rep's query on a line and where it stands; nobody else's statement."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from tests.api.conftest import Headers
from tests.web.conftest import PHONE, Console, assert_accessible, assert_fits, sign_in


async def _closed(site: str, world: Headers) -> int:
    """Close 2026-Q1 as finance; the id of rep-1's statement."""
    async with httpx.AsyncClient(base_url=site, timeout=60) as api:
        closed = await api.post("/api/v1/periods/2026-Q1/close", headers=world["finance"])
        assert closed.status_code == 200, closed.text
        mine = await api.get("/api/v1/me/statements", headers=world["rep"])
        [statement] = [s for s in mine.json() if s["id"] is not None]
        return int(statement["id"])


async def test_a_rep_opens_their_statement_and_queries_a_line(
    page: Page, site: str, world: Headers
) -> None:
    statement = await _closed(site, world)
    await sign_in(page, world["rep"])
    # The statements table on My pay opens it.
    await page.get_by_role("link", name="Open the 2026-Q1 statement").click()
    await expect(page).to_have_url(f"{site}/app/#/statements/{statement}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Statement 2026-Q1: Rita Rep")
    await expect(page.locator("main .total").first).to_have_text("$1,284.57")
    line = page.locator('tr[data-line="1"]')
    await expect(line.locator("td .line-name")).to_have_text("Commission")
    await expect(line.locator(":scope > td").nth(2)).to_have_text("Flat ten percent")
    await expect(line.locator(":scope > td").nth(4)).to_have_text("$1,284.57")
    # The CSV is downloaded with the token, as the API's own file.
    async with page.expect_download() as caught:
        await page.get_by_role("button", name="Download CSV").click()
    download = await caught.value
    assert download.suggested_filename == f"statement-{statement}.csv"
    saved = Path(await download.path())
    assert "1284.57" in await asyncio.to_thread(saved.read_text, encoding="utf-8")
    await assert_accessible(page)
    # A query on the line, then its status in place of the form.
    await line.get_by_text("Query this line").click()
    await line.get_by_label("What is wrong with line 1?").fill("D-9 is missing.")
    await line.get_by_role("button", name="Send query").click()
    await expect(line.locator(".dispute .badge")).to_have_text("open")
    await expect(line.get_by_text("Query this line")).to_have_count(0)
    await page.set_viewport_size(PHONE)
    await assert_fits(page)


async def test_a_rep_cannot_open_another_reps_statement(
    page: Page, site: str, world: Headers, console: Console
) -> None:
    console.expect(r"status of 404")
    await _closed(site, world)
    async with httpx.AsyncClient(base_url=site) as api:
        everyone = await api.get("/api/v1/statements?period=2026-Q1", headers=world["finance"])
    [other] = [s["id"] for s in everyone.json() if s["participant"] == "rep-2"]
    await sign_in(page, world["rep"])
    await page.goto(f"/app/#/statements/{other}")
    await expect(page.get_by_role("alert")).to_have_text(
        "There is no such statement, or it is not yours to see."
    )
    await expect(page.locator("main")).not_to_contain_text("$50.00")
