"""Finance on the web page: the landing's queue across periods, statements moved along in
bulk, the payroll file and marking paid, changes against the previous period, a
statement's traces, the disputes queue and the audit trail."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.audit.log import CLI_ACTOR
from incentives.auth import principals
from incentives.db.connection import driver_transaction
from tests.api.conftest import Headers, post_deal
from tests.web.conftest import PHONE, Console, assert_accessible, assert_fits, sign_in


async def _close(site: str, world: Headers, *periods: str) -> dict[str, int]:
    """Close the periods as finance; rep-1's statement id per period."""
    ids = {}
    async with httpx.AsyncClient(base_url=site, headers=world["finance"], timeout=60) as api:
        for period in periods:
            closed = await api.post(f"/api/v1/periods/{period}/close")
            assert closed.status_code == 200, closed.text
            listed = await api.get(f"/api/v1/statements?period={period}&participant=rep-1")
            ids[period] = listed.json()[0]["id"]
    return ids


async def _second_finance(db: AsyncEngine) -> dict[str, str]:
    async with driver_transaction(db) as conn:
        _, token = await principals.create(
            conn, name="second finance", role="finance", participant=None, actor=CLI_ACTOR
        )
    return {"Authorization": f"Bearer {token}"}


async def _post(site: str, headers: dict[str, str], path: str, body: object = None) -> None:
    async with httpx.AsyncClient(base_url=site, headers=headers, timeout=60) as api:
        done = await api.post(path, json=body)
        assert done.status_code == 200, done.text


async def _rep_1_submitted(site: str, world: Headers) -> int:
    """Close 2026-Q1 and submit rep-1's statement; its id."""
    statement = (await _close(site, world, "2026-Q1"))["2026-Q1"]
    await _post(site, world["finance"], f"/api/v1/statements/{statement}/submit")
    return statement


async def test_finance_lands_on_what_waits_across_periods(
    page: Page, site: str, world: Headers
) -> None:
    statement = await _rep_1_submitted(site, world)
    await sign_in(page, world["finance"])
    await expect(page.get_by_role("heading", level=1)).to_have_text("Finance")
    await expect(page.locator("main .lead")).to_have_text(
        "3 statement(s) and 0 dispute(s) wait for action."
    )
    drafts = page.get_by_role("region", name="Drafts to submit")
    await expect(drafts.locator(".count")).to_have_text("2 statement(s) · $150.00")
    await expect(drafts.get_by_role("listitem")).to_have_text("2026-Q1: 2 · $150.00")
    approve = page.get_by_role("region", name="Submitted, to approve")
    await expect(approve.locator(".count")).to_have_text("1 statement(s) · $1,284.57")
    for empty in ("Approved, not exported", "Exported, not paid"):
        await expect(page.get_by_role("region", name=empty)).to_contain_text("Nothing waiting.")
    await expect(page.get_by_role("region", name="Disputes").locator(".count")).to_have_text(
        "0 open (to answer) · 0 answered (to resolve)"
    )
    await expect(page.locator(".activity li").first).to_contain_text(
        f"test finance · submit statement {statement}"
    )
    await assert_accessible(page)
    await page.set_viewport_size(PHONE)
    await assert_fits(page)
    await page.set_viewport_size({"width": 1280, "height": 900})
    # Its period's link opens the list where the work is done.
    await approve.get_by_role("link", name="2026-Q1").click()
    await expect(page.get_by_role("heading", name="Payouts 2026-Q1")).to_be_visible()
    await expect(page.get_by_label("Status", exact=True)).to_have_value("submitted")
    await expect(page.locator("caption")).to_have_text("1 submitted statement(s), $1,284.57")


async def test_finance_approves_a_submitted_statement_under_the_four_eyes_rule(
    page: Page, site: str, db: AsyncEngine, world: Headers, console: Console
) -> None:
    console.expect(r"status of 403")
    statement = await _rep_1_submitted(site, world)
    second = await _second_finance(db)

    # Whoever submitted may not approve: the page says so and nothing changes.
    await sign_in(page, world["finance"])
    await page.goto("/app/#/payouts?period=2026-Q1&status=submitted")
    row = page.locator(f'tr[data-statement="{statement}"]')
    await expect(row).to_contain_text("$1,284.57")
    await row.get_by_role("checkbox").check()
    await page.get_by_role("button", name="Approve selected").click()
    await expect(page.get_by_role("status").filter(has_text="Result of approve")).to_contain_text(
        "Rita Rep:"
    )
    await expect(row.locator(".badge")).to_have_text("submitted")

    await page.get_by_role("button", name="Sign out").click()
    await sign_in(page, second)
    await page.goto("/app/#/payouts?period=2026-Q1&status=submitted")
    await page.get_by_label("Select all").check()
    await page.get_by_role("button", name="Approve selected").click()
    await expect(page.get_by_text("Rita Rep: approved")).to_be_visible()
    await expect(page.get_by_text("No submitted statements for 2026-Q1.")).to_be_visible()
    async with httpx.AsyncClient(base_url=site, headers=world["finance"]) as api:
        approved = (await api.get(f"/api/v1/statements/{statement}")).json()
    assert approved["status"] == "approved"
    assert approved["total"] == "1284.57"


async def test_finance_rejects_in_bulk_only_with_a_reason(
    page: Page, site: str, world: Headers
) -> None:
    await _close(site, world, "2026-Q1")
    await _post(site, world["finance"], "/api/v1/periods/2026-Q1/statements/submit")
    await sign_in(page, world["finance"])
    await page.get_by_role("region", name="Submitted, to approve").get_by_role("link").click()
    rows = page.locator("tbody tr[data-statement]")
    await expect(rows).to_have_count(3)
    await page.get_by_label("Select all").check()
    await page.get_by_role("button", name="Reject selected").click()
    await expect(page.get_by_role("alert")).to_have_text("Say why the statements are rejected.")
    await expect(page.get_by_label("Reason")).to_be_focused()
    await page.get_by_label("Reason").fill("Quota for Q1 was wrong")
    await page.get_by_role("button", name="Reject selected").click()
    await expect(page.get_by_text("No submitted statements for 2026-Q1.")).to_be_visible()
    await page.get_by_label("Status", exact=True).select_option("draft")
    await expect(rows).to_have_count(3)
    await expect(rows.first).to_contain_text("Quota for Q1 was wrong")
    async with httpx.AsyncClient(base_url=site, headers=world["finance"]) as api:
        drafts = (await api.get("/api/v1/statements?period=2026-Q1&status=draft")).json()
    assert {s["rejected_reason"] for s in drafts} == {"Quota for Q1 was wrong"}


async def test_finance_downloads_the_payroll_file_then_marks_it_paid(
    page: Page, site: str, db: AsyncEngine, world: Headers
) -> None:
    statement = (await _close(site, world, "2026-Q1"))["2026-Q1"]
    await _post(site, world["finance"], "/api/v1/periods/2026-Q1/statements/submit")
    await _post(site, await _second_finance(db), "/api/v1/periods/2026-Q1/statements/approve")
    await sign_in(page, world["finance"])
    exporting = page.get_by_role("region", name="Approved, not exported")
    await expect(exporting.locator(".count")).to_have_text("3 statement(s) · $1,434.57")
    await exporting.get_by_role("link", name="2026-Q1").click()
    await expect(page.locator("caption")).to_have_text("3 approved statement(s), $1,434.57")

    # Not exported yet: marking paid leaves them approved, and says why.
    await page.get_by_role("button", name="Mark every exported one paid").click()
    await expect(page.get_by_role("status").filter(has_text="Mark paid")).to_have_text(
        "Mark paid: 0 marked paid · 3 not exported yet, left approved"
    )
    async with page.expect_download() as caught:
        await page.get_by_role("button", name="Download payroll CSV").click()
    download = await caught.value
    assert download.suggested_filename == "payouts-2026-Q1-approved.csv"
    saved = Path(await download.path())
    payroll = await asyncio.to_thread(saved.read_text, encoding="utf-8")
    assert "Rita Rep" in payroll and "1284.57" in payroll
    row = page.locator(f'tr[data-statement="{statement}"]')
    await expect(row).to_contain_text("exported")
    await page.get_by_role("button", name="Mark every exported one paid").click()
    await expect(page.get_by_role("status").filter(has_text="Mark paid")).to_have_text(
        "Mark paid: 3 marked paid ($1,434.57)"
    )
    await expect(page.get_by_text("No approved statements for 2026-Q1.")).to_be_visible()
    await page.goto("/app/#/finance")
    await expect(page.locator("main .lead")).to_have_text(
        "Nothing waits for action: every statement of every closed period is paid."
    )


async def test_a_jump_against_the_previous_period_is_flagged_and_its_trace_shown(
    page: Page, site: str, world: Headers
) -> None:
    async with httpx.AsyncClient(base_url=site, timeout=60) as api:
        await post_deal(api, world["integration"], "D-9", "rep-1", "30000", "2026-05-04")
    ids = await _close(site, world, "2026-Q1", "2026-Q2")
    await sign_in(page, world["finance"])
    await page.goto("/app/#/payouts?period=2026-Q2&status=draft")
    row = page.locator(f'tr[data-statement="{ids["2026-Q2"]}"]')
    # 3,000.00 after 1,284.57: +1,715.43, +133.54%, an outlier.
    await expect(row.locator("td").nth(2)).to_have_text("$3,000.00")
    await expect(row.locator("td").nth(3)).to_have_text("$1,284.57")
    await expect(row.locator("td").nth(4)).to_have_text("+$1,715.43 (+133.54%) Outlier: up")
    await page.get_by_label("Show only these").check()
    await expect(page.locator("tbody tr[data-statement]:visible")).to_have_count(
        await page.locator("tbody tr.risk").count()
    )
    await expect(row).to_be_visible()
    await assert_accessible(page)
    await page.set_viewport_size(PHONE)
    await assert_fits(page)
    await page.set_viewport_size({"width": 1280, "height": 900})

    await row.get_by_role("link", name="Rita Rep").click()
    await expect(page.locator(".change-line")).to_have_text(
        "Previous period 2026-Q1: $1,284.57 · change +$1,715.43 (+133.54%) Outlier: up"
    )
    line = page.locator('tr[data-line="1"]')
    await line.get_by_text("How it was computed").click()
    await expect(line.locator(".trace-body")).to_contain_text(
        "Unrounded 3,000, rounded half up to $3,000.00"
    )
    await page.locator(".change-line").get_by_role("link", name="2026-Q1").click()
    await expect(page.locator(".change-line")).to_have_text(
        "The first closed period of its kind: nothing to compare with."
    )
    await assert_accessible(page)


async def test_finance_answers_and_resolves_a_dispute_from_the_queue(
    page: Page, site: str, world: Headers, console: Console
) -> None:
    # "fifty" is no amount: refused 400 by the strict decimal reader, and shown on the card.
    console.expect(r"status of 400")
    statement = (await _close(site, world, "2026-Q1"))["2026-Q1"]
    async with httpx.AsyncClient(base_url=site, headers=world["rep"]) as api:
        opened = await api.post(
            f"/api/v1/statements/{statement}/lines/1/disputes",
            json={"message": "D-2 was all mine, not half"},
        )
        assert opened.status_code == 201, opened.text
    await sign_in(page, world["finance"])
    disputes = page.get_by_role("region", name="Disputes")
    await expect(disputes.locator(".count")).to_have_text(
        "1 open (to answer) · 0 answered (to resolve)"
    )
    await disputes.get_by_role("link", name="Open the disputes queue").click()
    card = page.locator("section.dispute-card")
    await expect(card.get_by_role("heading")).to_have_text("rep-1 · 2026-Q1 open")
    await expect(card).to_contain_text("Line 1: Commission, $1,284.57")
    await expect(card.locator("blockquote")).to_have_text("D-2 was all mine, not half")
    await assert_accessible(page)
    await page.set_viewport_size(PHONE)
    await assert_fits(page)
    await page.set_viewport_size({"width": 1280, "height": 900})

    await card.get_by_label("Answer").fill("Checking the split with sales operations.")
    await card.get_by_role("button", name="Send answer").click()
    await expect(card.get_by_role("heading")).to_have_text("rep-1 · 2026-Q1 answered")
    await expect(card).to_contain_text("Answer: Checking the split with sales operations.")

    # A bad amount is named beside its field; nothing is resolved.
    await card.get_by_label("Adjustment (USD)").fill("fifty")
    await card.get_by_role("button", name="Resolve").click()
    await expect(card.get_by_label("Adjustment (USD)")).to_have_attribute("aria-invalid", "true")
    await card.get_by_label("Adjustment (USD)").fill("50.00")
    await card.get_by_label("Paid in").select_option("2026-Q2")
    await card.get_by_label("Reason (needed to decline)").fill("The split was entered wrong")
    await card.get_by_role("button", name="Resolve").click()
    await expect(page.get_by_text("No unresolved disputes.")).to_be_visible()
    await page.get_by_label("Status", exact=True).select_option("accepted")
    row = page.locator("tr[data-dispute]")
    await expect(row.locator("td").nth(4)).to_have_text(
        "$50.00 in 2026-Q2 · The split was entered wrong"
    )
    async with httpx.AsyncClient(base_url=site, headers=world["finance"]) as api:
        [dispute] = (await api.get("/api/v1/disputes?status=accepted")).json()
    assert dispute["adjustment"] == {
        "amount": "50.00",
        "currency": "USD",
        "period": "2026-Q2",
        "statement": None,
    }


async def test_the_audit_trail_filters_by_action_and_shows_what_changed(
    page: Page, site: str, world: Headers
) -> None:
    statement = await _rep_1_submitted(site, world)
    await sign_in(page, world["finance"])
    await page.get_by_role("link", name="Audit", exact=True).click()
    await page.get_by_label("Entity").fill("statement")
    await page.get_by_label("Action").fill("submit")
    await page.get_by_role("button", name="Filter").click()
    await expect(page).to_have_url(f"{site}/app/#/audit?entity=statement&action=submit")
    rows = page.locator("tr[data-audit]")
    await expect(rows).to_have_count(1)
    await expect(rows.locator("td").nth(1)).to_have_text("test finance via api")
    await expect(rows.locator("td").nth(3)).to_have_text(f"statement {statement}")
    await expect(rows.locator("td").nth(4)).to_contain_text("status: draft → submitted")
    await expect(page.get_by_text("1 entry, the oldest reached.")).to_be_visible()
    await assert_accessible(page)
    await page.set_viewport_size(PHONE)
    await assert_fits(page)
    # A day with nothing recorded says so.
    await page.goto("/app/#/audit?until=2020-01-01")
    await expect(page.get_by_text("No entries match these filters.")).to_be_visible()
