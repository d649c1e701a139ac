"""A rep on the web page: their own pay to the cent, explained; nobody else's."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.api.conftest import Headers
from tests.web.conftest import Console, sign_in


async def test_a_rep_signs_in_and_sees_their_earnings_to_the_cent(
    page: Page, world: Headers
) -> None:
    await sign_in(page, world["rep"])
    await expect(page.get_by_role("heading", name="My pay")).to_be_visible()
    await expect(page.locator("#who")).to_have_text("test rep · rep")
    # 10% of 12,345.67 and of the half of D-2 (500): 1,284.567, rounded half up.
    line = page.locator("details.line").filter(has_text="Commission")
    await expect(line.locator(".amount")).to_have_text("$1,284.57")
    await expect(page.locator(".total")).to_have_text("Total $1,284.57")
    # Bookings 12,845.67 against a quota of 100,000.
    measure = page.locator('[data-measure="bookings"]')
    await expect(measure).to_contain_text("12,845.67 of 100,000.00")
    await expect(measure.locator(".attainment")).to_have_text("12.85% of quota")
    await expect(measure.get_by_role("progressbar")).to_have_attribute("value", "13")

    # The line opens to its explanation, with the deals behind it, by keyboard.
    await line.locator("summary").focus()
    await page.keyboard.press("Enter")
    deals = line.get_by_role("table")
    await expect(deals).to_contain_text("D-1")
    await expect(deals).to_contain_text("D-2")
    half = deals.locator("tr").filter(has_text="D-2")
    await expect(half.locator("td")).to_have_text(
        ["D-2", "2026-03-31", "split", "50.00%", "$500.00", "$1,000.00"]
    )
    await expect(line.locator(".explain p").first).not_to_be_empty()

    # The period's pay is in the history as an estimate until the period closes.
    history = page.get_by_role("region", name="Statements")
    await expect(history.locator("tr").filter(has_text="2026-Q1")).to_contain_text("estimate")
    await expect(history).to_contain_text("$1,284.57")

    # The estimator: another 10,000 closed in March pays 1,000.00 more.
    await page.get_by_label("Deal amount").fill("10000")
    await page.get_by_label("Close date").fill("2026-03-15")
    await page.get_by_role("button", name="Estimate").click()
    row = page.get_by_role("table", name="With this deal").locator("tbody tr")
    await expect(row).to_contain_text("$1,284.57")
    await expect(row).to_contain_text("$2,284.57")
    await expect(row.locator(".difference")).to_have_text("$1,000.00")


async def test_the_estimator_names_a_bad_field(
    page: Page, world: Headers, console: Console
) -> None:
    console.expect(r"status of 422")
    await sign_in(page, world["rep"])
    await page.get_by_label("Deal amount").fill("0")
    await page.get_by_role("button", name="Estimate").click()
    # The API's own words, beside the field they are about.
    amount = page.get_by_label("Deal amount")
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
    await page.set_viewport_size({"width": 360, "height": 740})
    await sign_in(page, world["rep"])
    await expect(page.locator("details.line").first).to_be_visible()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    unlabeled = await page.evaluate(
        "[...document.querySelectorAll('input, select, textarea')]"
        ".filter(el => !el.labels.length && !el.getAttribute('aria-label')).map(el => el.id)"
    )
    assert unlabeled == []
