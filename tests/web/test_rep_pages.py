"""A rep on the web page: their own pay to the cent, explained; nobody else's."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.api.conftest import Headers
from tests.web.conftest import PHONE, Console, assert_accessible, assert_fits, sign_in


async def test_a_rep_signs_in_and_sees_their_earnings_to_the_cent(
    page: Page, world: Headers
) -> None:
    await sign_in(page, world["rep"])
    await expect(page.get_by_role("heading", name="My pay")).to_be_visible()
    await expect(page.locator("#who")).to_have_text("test rep · rep")
    # 10% of 12,345.67 and of the half of D-2 (500): 1,284.567, rounded half up. The plan
    # is named as its file names it, not by its key.
    line = page.locator("details.line").filter(has_text="Commission")
    await expect(line.locator(".name")).to_have_text("Commission · Flat ten percent")
    await expect(line.locator(".amount")).to_have_text("$1,284.57")
    await expect(page.locator(".total")).to_have_text("Total $1,284.57")

    # The line opens to its explanation, its structure kept, with the deals behind it.
    await line.locator("summary").focus()
    await page.keyboard.press("Enter")
    deals = line.get_by_role("table", name="Deals behind this line")
    half = deals.locator("tr").filter(has_text="D-2")
    await expect(half.locator("td")).to_have_text(
        ["D-2", "Mar 31, 2026", "–", "split", "50.00%", "$500.00", "×1", "$500.00", "$1,000.00"]
    )
    explanation = line.locator(".explanation")
    await expect(explanation.locator("p").first).to_have_text("Rita Rep (rep-1), 2026-Q1")
    await expect(explanation.locator("li").first).not_to_be_empty()

    # The period's pay is in the history as an estimate until the period closes.
    history = page.get_by_role("region", name="Statements")
    row = history.locator("tr").filter(has_text="2026-Q1")
    await expect(row.locator("td")).to_have_text(
        ["2026-Q1", "Flat ten percent", "1", "$1,284.57", "estimate", "until the period closes"]
    )

    # The estimator: another 10,000 closed in March pays 1,000.00 more.
    await page.get_by_label("Deal amount (USD)").fill("10000")
    await page.get_by_label("Close date").fill("2026-03-15")
    await page.get_by_role("button", name="Estimate").click()
    row = page.get_by_role("table", name="With this deal").locator("tbody tr")
    await expect(row).to_contain_text("$1,284.57")
    await expect(row).to_contain_text("$2,284.57")
    await expect(row.locator(".difference")).to_have_text("$1,000.00")
    await assert_accessible(page)


async def test_my_pay_charts_the_quarter_against_quota(page: Page, world: Headers) -> None:
    await sign_in(page, world["rep"])
    pace = page.locator('.pace[data-measure="bookings"]')
    await expect(pace.locator("h3")).to_have_text("Bookings · Flat ten percent")
    # The chart is an image named by what it shows, and its figures are a table.
    chart = pace.locator('figure[data-chart="pacing"]')
    summary = (
        "Bookings: $12,845.67 of a $100,000.00 quota (12.85%) on day 90 of 90;"
        " expected by now $100,000.00."
    )
    await expect(chart.get_by_role("img")).to_have_attribute("aria-label", summary)
    await expect(chart.locator("figcaption")).to_have_text(summary)
    await chart.get_by_text("Figures").click()
    figures = chart.get_by_role("table", name="Bookings by close date")
    await expect(figures.locator("tbody tr")).to_have_count(2)
    await expect(figures.locator("tbody tr").nth(1).locator("td")).to_have_text(
        ["Mar 31, 2026", "$12,845.67"]
    )
    # The canvas was drawn: Chart.js is served by the app and ran under its policy.
    drawn = await chart.locator("canvas").evaluate("c => c.width > 0 && !!window.Chart")
    assert drawn
    trend = page.locator('figure[data-chart="trend"]')
    await expect(trend.locator("figcaption")).to_have_text("Earnings by period: 2026-Q1 $1,284.57.")
    games = page.get_by_role("region", name="Points and badges")
    await expect(games.locator('[data-games="points"]')).to_have_text("0 points")
    await expect(games).to_contain_text("No badges yet.")
    await expect(page.get_by_role("region", name="My disputes")).to_contain_text("No disputes.")
    # Readable in the dark theme too: the contrast rules pass on the dark colours.
    await page.emulate_media(color_scheme="dark")
    background = await page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert background == "rgb(13, 17, 23)"
    await assert_accessible(page)


async def test_the_estimator_names_a_bad_field(
    page: Page, world: Headers, console: Console
) -> None:
    console.expect(r"status of 422")
    await sign_in(page, world["rep"])
    await page.get_by_label("Deal amount (USD)").fill("0")
    await page.get_by_role("button", name="Estimate").click()
    # The API's own words, beside the field they are about.
    amount = page.get_by_label("Deal amount (USD)")
    await expect(amount).to_have_attribute("aria-invalid", "true")
    await expect(page.locator(".field-error")).to_have_text("deals[0].amount: must be above zero")
    # A day no plan of the rep's covers changes nothing, and the page says so.
    await amount.fill("100")
    await page.get_by_label("Close date").fill("2031-01-15")
    await page.get_by_role("button", name="Estimate").click()
    nothing = page.get_by_text("No plan of yours pays for a deal closed that day.")
    await expect(nothing).to_be_visible()
    await expect(amount).not_to_have_attribute("aria-invalid", "true")


async def test_a_rep_is_refused_another_reps_pay(
    page: Page, world: Headers, console: Console
) -> None:
    # The API's 404 is the refusal; the browser reports the failed request.
    console.expect(r"status of 404")
    await sign_in(page, world["rep"])
    await page.goto("/app/#/people/rep-2")
    await expect(page.get_by_role("alert")).to_have_text(
        "You may not see rep-2's pay, or there is no such participant."
    )
    # rep-2's half of D-2 (50.00) appears nowhere.
    await expect(page.locator("main")).not_to_contain_text("50.00")
    await expect(page.locator("#nav")).not_to_contain_text("Finance")
    await page.goto("/app/#/finance")
    await expect(page.get_by_role("heading", name="Not available")).to_be_visible()


async def test_a_bad_token_is_turned_away(page: Page, site: str, console: Console) -> None:
    console.expect(r"status of 401")
    await page.goto("/app/")
    await page.get_by_label("API token").fill("not-a-token")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("alert")).to_have_text("That token is not valid.")
    await expect(page.locator("#nav")).to_be_hidden()


async def test_my_pay_fits_a_phone_and_every_control_has_a_label(
    page: Page, world: Headers
) -> None:
    await page.set_viewport_size(PHONE)
    await sign_in(page, world["rep"])
    await expect(page.locator("details.line").first).to_be_visible()
    await expect(page.locator('figure[data-chart="pacing"]')).to_be_visible()
    await page.locator("details.line summary").first.click()
    await expect(page.get_by_role("table", name="Deals behind this line")).to_be_visible()
    await assert_fits(page)
    unlabeled = await page.evaluate(
        "[...document.querySelectorAll('input, select, textarea')]"
        ".filter(el => !el.labels.length && !el.getAttribute('aria-label')).map(el => el.id)"
    )
    assert unlabeled == []
    await assert_accessible(page)
