"""Webhooks on the web page: a subscription created through the form (refused first, its
refusal beside the field), its secret shown once and never again, the real one; the list
with its events and how its deliveries stand; reps and managers refused by the API; the
delivery log of what the served process really sent (to a loopback receiver, and to a port
nothing listens on) with each status, attempt and answer; a replay; a paused
subscription's pending message; older pages; a deletion once confirmed."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import httpx
import pytest
from playwright.async_api import Locator, Page, ViewportSize, expect
from standardwebhooks.webhooks import Webhook

from tests.api.conftest import Headers
from tests.http import free_port
from tests.receiver import Receiver, receiving
from tests.web.conftest import PHONE, Console, assert_accessible, assert_fits, sign_in

# Each delivery is tried three times within a second, then failed.
RETRIES = "0.3,0.3"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
REFUSED = "ConnectError: All connection attempts failed"


@pytest.fixture
def server_settings() -> dict[str, str]:
    """A short retry schedule; and finance approves what it submitted, to announce an
    approval without a second finance user."""
    return {"INCENTIVES_WEBHOOK_RETRIES": RETRIES, "INCENTIVES_FOUR_EYES": "off"}


def _shown(instant: str | None, seconds: bool = True) -> str:
    """A UTC instant as the page shows it to an en-US reader in UTC."""
    if instant is None:
        return "–"
    t = dt.datetime.fromisoformat(instant.replace("Z", "+00:00"))
    clock = f"{t.hour % 12 or 12}:{t:%M}" + (f":{t:%S}" if seconds else "")
    return f"{t:%b} {t.day}, {t.year}, {clock} {'AM' if t.hour < 12 else 'PM'}"


async def _call(
    site: str, headers: dict[str, str], method: str, path: str, body: object = None
) -> Any:
    async with httpx.AsyncClient(base_url=site, headers=headers, timeout=60) as api:
        answer = await api.request(method, f"/api/v1{path}", json=body)
        assert answer.is_success, answer.text
        return answer.json() if answer.content else None


async def _subscribe(
    site: str, headers: dict[str, str], url: str, events: list[str], **more: str
) -> dict[str, Any]:
    made: dict[str, Any] = await _call(
        site, headers, "POST", "/webhooks", {"url": url, "events": events, **more}
    )
    return made


async def _settled(
    site: str, headers: dict[str, str], hook: int, count: int
) -> list[dict[str, Any]]:
    """The subscription's deliveries, once there are ``count`` and none is pending."""
    for _ in range(200):
        found: list[dict[str, Any]] = await _call(
            site, headers, "GET", f"/webhooks/{hook}/deliveries?limit=500"
        )
        if len(found) == count and all(d["status"] != "pending" for d in found):
            return found
        await asyncio.sleep(0.1)
    pytest.fail(f"webhook {hook}'s deliveries did not settle: {found}")


async def _received(receiver: Receiver, count: int) -> None:
    for _ in range(200):
        if len(receiver.received) >= count:
            return
        await asyncio.sleep(0.1)
    pytest.fail(f"the receiver got {len(receiver.received)} requests, not {count}")


async def _approve_rep_1(site: str, headers: dict[str, str]) -> int:
    """Close 2026-Q1, then submit and approve rep-1's statement; its id."""
    await _call(site, headers, "POST", "/periods/2026-Q1/close")
    [statement] = await _call(site, headers, "GET", "/statements?period=2026-Q1&participant=rep-1")
    await _call(site, headers, "POST", f"/statements/{statement['id']}/submit")
    await _call(site, headers, "POST", f"/statements/{statement['id']}/approve")
    return int(statement["id"])


def _card(page: Page, hook: dict[str, Any]) -> Locator:
    return page.locator(f'main section[data-webhook="{hook["id"]}"]')


def _row(page: Page, delivery: dict[str, Any]) -> Locator:
    return page.locator(f'tr[data-delivery="{delivery["id"]}"] td')


def _cells(
    delivery: dict[str, Any], event: str | None = None, *, paused: bool = False
) -> list[str]:
    """A delivery's row as the log shows it: event, happened, status, attempts, next
    attempt, last answer, and its details button."""
    code, error = delivery["last_status_code"], delivery["last_error"]
    following = "once resumed" if paused else _shown(delivery["next_attempt_at"])
    return [
        event or delivery["event"],
        _shown(delivery["occurred_at"]),
        delivery["status"],
        str(delivery["attempts"]),
        following if delivery["status"] == "pending" else "–",
        f"HTTP {code}" if code is not None else error or "–",
        "Details",
    ]


async def test_finance_creates_a_subscription_and_sees_its_secret_once(
    page: Page, site: str, world: Headers, console: Console
) -> None:
    console.expect(r"status of 422")
    with receiving(free_port()) as receiver:
        await sign_in(page, world["finance"])
        await page.locator("#nav").get_by_role("link", name="Webhooks").click()
        await expect(page.get_by_role("heading", name="No webhooks yet")).to_be_visible()
        await expect(page.locator("main .empty p").first).to_have_text(
            "Webhooks tell your other systems what happens here, as it happens. Tell your"
            " payroll system when statements are approved; post disputes to a finance"
            " channel in Slack or Teams; cheer a contest's winners in the sales floor's"
            " channel; hear at once when a calculation run fails."
        )
        await assert_accessible(page)
        await page.get_by_role("link", name="Create the first subscription").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("New webhook subscription")
        await expect(page.get_by_label("Slack")).to_have_accessible_description(
            "The event in one sentence, which a Slack incoming webhook posts to its channel"
            " as it is."
        )
        await expect(page.get_by_label("Standard Webhooks")).to_be_checked()

        # "Every event" ticks the twelve, and unticks them.
        events = page.locator('input[name="events"]')
        await expect(events).to_have_count(12)
        await page.get_by_label("Every event").check()
        await expect(page.locator('input[name="events"]:checked')).to_have_count(12)
        await page.get_by_label("Every event").uncheck()
        await expect(page.locator('input[name="events"]:checked')).to_have_count(0)

        # No event: said beside the events, before asking the API.
        url = page.get_by_label("URL")
        await url.fill("ftp://hooks.example.com/in")
        await page.get_by_role("button", name="Create subscription").click()
        await expect(page.locator("#w-events-error")).to_have_text("events: choose at least one")

        for event in ("statement.approved", "statement.paid", "dispute.opened"):
            await page.get_by_label(event).check()
        await expect(page.get_by_label("Every event")).to_have_js_property("indeterminate", True)
        await page.get_by_label("Description").fill("Payroll sync")
        await page.get_by_role("button", name="Create subscription").click()
        # The API refuses the URL: its words beside the field, and in the summary.
        await expect(page.locator("#w-url-error")).to_have_text(
            "url: must be an http or https URL with a host"
        )
        await expect(url).to_have_attribute("aria-invalid", "true")
        await expect(url).to_have_attribute("aria-describedby", "w-url-error")
        await expect(page.locator("#w-events-error")).to_have_count(0)
        await expect(page.locator("form [role=alert] li")).to_have_text(
            ["url: must be an http or https URL with a host"]
        )
        await assert_accessible(page)

        await url.fill(receiver.url)
        await page.get_by_role("button", name="Create subscription").click()
        made = page.get_by_role("heading", name="Subscription created")
        await expect(made).to_be_focused()
        await expect(page.locator(".secret-card .warning strong")).to_have_text(
            "Copy it now: it will not be shown again."
        )
        await expect(page.locator(".secret-card pre")).to_contain_text(
            "event = Webhook(secret).verify(body, headers)"
        )
        secret = await page.get_by_label("Signing secret").input_value()
        assert secret.startswith("whsec_")
        await page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
        await page.get_by_role("button", name="Copy the secret").click()
        await expect(page.locator(".secret-card").get_by_text("Copied.")).to_be_visible()
        assert await page.evaluate("navigator.clipboard.readText()") == secret
        await assert_accessible(page)
        [hook] = await _call(site, world["finance"], "GET", "/webhooks")
        assert "secret" not in hook

        # Reloaded, the page has forgotten it: a new form.
        await page.reload()
        await expect(page.get_by_role("heading", level=1)).to_have_text("New webhook subscription")
        await expect(page.get_by_label("Signing secret")).to_have_count(0)
        assert secret not in await page.content()

        await page.locator("#nav").get_by_role("link", name="Webhooks").click()
        card = _card(page, hook)
        await expect(card.get_by_role("heading")).to_have_text("Payroll sync active")
        await expect(card.locator(".url")).to_have_text(receiver.url)
        await expect(card.locator(".standing")).to_have_text(
            "Standard Webhooks · 0 pending · 0 failed · nothing delivered yet"
        )
        await expect(card.locator(".wants > span")).to_have_text("3 event(s):")
        await expect(card.locator(".events li")).to_have_text(
            ["dispute.opened", "statement.approved", "statement.paid"]
        )
        assert secret not in await page.content()

        # A test message, signed with the secret the page showed.
        await card.get_by_role("button", name="Send a test message").click()
        await expect(card.locator(".ok")).to_have_text(
            "Test message queued as delivery 1: it is sent now."
        )
        await _received(receiver, 1)
    message = Webhook(secret).verify(receiver.received[0].body, receiver.received[0].headers)
    assert (message["type"], message["data"]) == (
        "webhook.ping",
        {"subscription": hook["id"], "url": receiver.url},
    )
    [delivery] = await _settled(site, world["finance"], hook["id"], 1)
    await page.reload()
    await expect(card.locator(".standing")).to_have_text(
        "Standard Webhooks · 0 pending · 0 failed · last delivered"
        f" {_shown(delivery['delivered_at'], seconds=False)}"
    )
    await page.set_viewport_size(PHONE)
    await assert_fits(page)
    await assert_accessible(page)


@pytest.mark.parametrize("role", ["rep", "manager"])
async def test_reps_and_managers_see_no_webhooks_and_are_refused(
    page: Page, site: str, world: Headers, console: Console, role: str
) -> None:
    console.expect(r"status of 403")
    hook = await _subscribe(
        site, world["finance"], "https://hooks.example.com/in", ["statement.paid"]
    )
    await sign_in(page, world[role])
    await expect(page.locator("#nav a").first).to_be_visible()
    await expect(page.locator("#nav")).not_to_contain_text("Webhooks")
    for where, heading in (
        ("#/webhooks", "Webhooks"),
        ("#/webhooks/new", "New webhook subscription"),
        (f"#/webhooks/{hook['id']}", "Delivery log"),
    ):
        await page.goto(f"/app/{where}")
        await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        await expect(page.get_by_role("alert")).to_have_text(
            f"This needs the role finance or admin; you are {role}"
        )
        await expect(page.locator("main")).not_to_contain_text("hooks.example.com")
        await expect(page.locator("main form")).to_have_count(0)


async def test_an_admin_manages_webhooks_too(page: Page, world: Headers) -> None:
    await sign_in(page, world["admin"])
    await page.locator("#nav").get_by_role("link", name="Webhooks").click()
    await expect(page.locator("#nav a[aria-current=page]")).to_have_text("Webhooks")
    await expect(page.get_by_role("heading", name="No webhooks yet")).to_be_visible()


async def test_the_delivery_log_shows_every_attempt_and_replays(
    page: Page, site: str, world: Headers
) -> None:
    finance = world["finance"]
    with receiving(free_port(), answers=[500]) as receiver:
        payroll = await _subscribe(
            site, finance, receiver.url, ["statement.approved"], description="Payroll sync"
        )
        nowhere = await _subscribe(
            site,
            finance,
            f"http://127.0.0.1:{free_port()}/hook",
            ["statement.approved"],
            format="slack",
            description="Finance channel",
        )
        statement = await _approve_rep_1(site, finance)
        # Refused once (500), taken on the retry; then a test message, taken at once.
        [approved] = await _settled(site, finance, payroll["id"], 1)
        await _call(site, finance, "POST", f"/webhooks/{payroll['id']}/ping")
        pinged, approved = await _settled(site, finance, payroll["id"], 2)
        # Nothing listens there: three attempts, then failed.
        [lost] = await _settled(site, finance, nowhere["id"], 1)

        await sign_in(page, finance)
        await page.goto("/app/#/webhooks")
        await expect(_card(page, payroll).locator(".standing")).to_have_text(
            "Standard Webhooks · 0 pending · 0 failed · last delivered"
            f" {_shown(pinged['delivered_at'], seconds=False)}"
        )
        await expect(_card(page, nowhere).locator(".standing")).to_have_text(
            "Slack · 0 pending · 1 failed · nothing delivered yet"
        )
        await _card(page, payroll).get_by_role("link", name="Delivery log").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Delivery log")
        await expect(page.locator("main caption")).to_have_text("2 deliveries, newest first")
        await expect(_row(page, pinged)).to_have_text(_cells(pinged))
        await expect(_row(page, approved)).to_have_text(_cells(approved))
        assert _cells(approved)[2:6] == ["delivered", "2", "–", "HTTP 200"]

        # Opened: the data sent and both attempts, the refusal first.
        opener = page.get_by_role(
            "button", name=f"Details of delivery {approved['id']}", exact=True
        )
        await opener.focus()
        await page.keyboard.press("Enter")
        await expect(opener).to_have_attribute("aria-expanded", "true")
        opened = page.locator(f'tr[data-detail="{approved["id"]}"]')
        detail = await _call(site, finance, "GET", f"/webhook-deliveries/{approved['id']}")
        data = json.loads(await opened.locator("pre").inner_text())
        assert data == detail["data"]
        assert {k: data[k] for k in ("id", "participant", "period", "total", "status")} == {
            "id": statement,
            "participant": "rep-1",
            "period": "2026-Q1",
            "total": "1284.57",
            "status": "approved",
        }
        attempts = opened.locator("tr[data-attempt]")
        await expect(attempts).to_have_count(2)
        for row, tried, answer in zip(
            ("1", "2"), detail["log"], ("HTTP 500", "HTTP 200"), strict=True
        ):
            await expect(opened.locator(f'tr[data-attempt="{row}"] td')).to_have_text(
                [row, _shown(tried["at"]), answer, f"{tried['duration_ms']} ms", "ok"]
            )
        await assert_accessible(page)
        await page.set_viewport_size(PHONE)
        await assert_fits(page)
        await assert_accessible(page)
        await page.set_viewport_size(DESKTOP)

        # Replayed: the same message again, as a new delivery.
        await opened.get_by_role("button", name="Replay").click()
        said = page.locator("main [data-notice]")
        await expect(said).to_contain_text("replayed as")
        again, _, _ = await _settled(site, finance, payroll["id"], 3)
        await expect(said).to_have_text(
            f"Delivery {approved['id']} replayed as delivery {again['id']}: the same message is"
            " sent again now."
        )
        await expect(said).to_be_focused()
        await _received(receiver, 4)
        await page.get_by_role("button", name="Refresh").click()
        await expect(page.locator("main caption")).to_have_text("3 deliveries, newest first")
        await expect(_row(page, again)).to_have_text(
            _cells(again, f"statement.approved replay of delivery {approved['id']}")
        )
        assert _cells(again)[2:6] == ["delivered", "1", "–", "HTTP 200"]
    first, retried, _, replay = receiver.received
    assert first.headers["webhook-id"] == retried.headers["webhook-id"]
    assert replay.headers["webhook-id"] == approved["message"] == first.headers["webhook-id"]
    assert replay.body == retried.body

    # The failed one: three refused connections; replayed, it fails again.
    await page.goto(f"/app/#/webhooks/{nowhere['id']}?status=failed")
    await expect(page.get_by_label("Status")).to_have_value("failed")
    await expect(page.locator("main caption")).to_have_text("1 failed delivery, newest first")
    await expect(_row(page, lost)).to_have_text(_cells(lost))
    assert _cells(lost)[2:6] == ["failed", "3", "–", REFUSED]
    await page.get_by_role("button", name=f"Details of delivery {lost['id']}", exact=True).click()
    opened = page.locator(f'tr[data-detail="{lost["id"]}"]')
    await expect(opened.locator("tr[data-attempt] td:nth-child(3)")).to_have_text([REFUSED] * 3)
    await expect(opened.locator("tr[data-attempt] td:nth-child(5)")).to_have_text(["–"] * 3)
    await opened.get_by_role("button", name="Replay").click()
    said = page.locator("main [data-notice]")
    await expect(said).to_contain_text("replayed as")
    second, _ = await _settled(site, finance, nowhere["id"], 2)
    await expect(said).to_have_text(
        f"Delivery {lost['id']} replayed as delivery {second['id']}: the same message is"
        " sent again now. Show every status"
    )
    await page.get_by_role("link", name="Show every status").click()
    await expect(page.get_by_label("Status")).to_have_value("")
    await expect(page.locator("main caption")).to_have_text("2 deliveries, newest first")
    await expect(_row(page, second)).to_have_text(
        _cells(second, f"statement.approved replay of delivery {lost['id']}")
    )
    assert _cells(second)[2:6] == ["failed", "3", "–", REFUSED]


async def test_a_paused_subscription_keeps_its_message_and_a_deletion_is_confirmed(
    page: Page, site: str, world: Headers
) -> None:
    finance = world["finance"]
    with receiving(free_port()) as receiver:
        # A long URL, which the confirmation's sentence must wrap on a phone.
        url = f"{receiver.url}/payroll/statements/incentives"
        hook = await _subscribe(
            site, finance, url, ["statement.approved"], description="Payroll sync"
        )
        await sign_in(page, finance)
        await page.goto("/app/#/webhooks")
        card = _card(page, hook)
        pause = card.get_by_role("button", name="Pause")
        await pause.focus()
        await page.keyboard.press("Enter")
        await expect(card.get_by_role("heading")).to_have_text("Payroll sync paused")
        await expect(card.locator(".ok")).to_have_text(
            "Paused: nothing new is sent to it; what it was owed waits until it is resumed."
        )
        # The keyboard stays on the button, now the other way round.
        await expect(card.get_by_role("button", name="Resume")).to_be_focused()
        await card.get_by_role("button", name="Send a test message").click()
        await expect(card.locator(".ok")).to_have_text(
            "Test message queued as delivery 1: it is sent once the subscription is resumed."
        )
        await expect(card.locator(".standing")).to_have_text(
            "Standard Webhooks · 1 pending · 0 failed · nothing delivered yet"
        )

        # In the log: pending, not tried, and why it cannot be replayed yet.
        await card.get_by_role("link", name="Delivery log").click()
        [waiting] = await _call(site, finance, "GET", f"/webhooks/{hook['id']}/deliveries")
        await expect(_row(page, waiting)).to_have_text(_cells(waiting, paused=True))
        assert _cells(waiting, paused=True)[2:5] == ["pending", "0", "once resumed"]
        await page.get_by_role("button", name="Details of delivery 1", exact=True).click()
        opened = page.locator('tr[data-detail="1"]')
        await expect(opened).to_contain_text("Not tried yet.")
        await expect(opened).to_contain_text(
            "Waiting: the subscription is paused, and this is sent once it is resumed. It can"
            " be replayed once it is delivered or has failed."
        )
        await expect(opened.get_by_role("button", name="Replay")).to_have_count(0)
        await assert_accessible(page)
        assert receiver.received == []

        await page.get_by_role("link", name="← Webhooks").click()
        await card.get_by_role("button", name="Resume").click()
        await expect(card.locator(".ok")).to_have_text("Resumed: what it was owed is sent now.")
        await expect(card.get_by_role("button", name="Pause")).to_be_focused()
        await _received(receiver, 1)
        await _settled(site, finance, hook["id"], 1)

        # Deleting asks first (with the counts as they are now); Escape keeps it.
        await page.reload()
        await card.get_by_role("button", name="Delete").click()
        asked = card.get_by_role("group")
        await expect(asked).to_have_text(
            f"Delete “Payroll sync”? Nothing more is sent to {url}, and its delivery"
            " log goes with it. This cannot be undone.Delete for goodKeep it"
        )
        await expect(asked.get_by_role("button", name="Delete for good")).to_be_focused()
        await page.set_viewport_size(PHONE)
        await assert_fits(page)
        await assert_accessible(page)
        await page.set_viewport_size(DESKTOP)
        await page.keyboard.press("Escape")
        await expect(asked).to_be_hidden()
        await expect(card.get_by_role("button", name="Delete", exact=True)).to_be_focused()
        assert len(await _call(site, finance, "GET", "/webhooks")) == 1
        await page.keyboard.press("Enter")
        await asked.get_by_role("button", name="Delete for good").click()
        said = page.locator("main [data-notice]")
        await expect(said).to_have_text(f"Deleted “Payroll sync”: nothing more is sent to {url}.")
        await expect(said).to_be_focused()
        await expect(page.get_by_role("heading", name="No webhooks yet")).to_be_visible()
    assert await _call(site, finance, "GET", "/webhooks") == []


async def test_older_deliveries_load_on_demand(page: Page, site: str, world: Headers) -> None:
    finance = world["finance"]
    with receiving(free_port()) as receiver:
        hook = await _subscribe(site, finance, receiver.url, ["statement.paid"])
        for _ in range(27):
            await _call(site, finance, "POST", f"/webhooks/{hook['id']}/ping")
        await _settled(site, finance, hook["id"], 27)
    await sign_in(page, finance)
    await page.goto(f"/app/#/webhooks/{hook['id']}")
    await expect(page.locator("main caption")).to_have_text("27 deliveries, newest first")
    rows = page.locator("tr[data-delivery]")
    await expect(rows).to_have_count(25)
    await expect(rows.first).to_have_attribute("data-delivery", "27")
    await expect(rows.last).to_have_attribute("data-delivery", "3")
    await page.get_by_role("button", name="Older deliveries").click()
    await expect(rows).to_have_count(27)
    assert [await r.get_attribute("data-delivery") for r in await rows.all()] == [
        str(n) for n in range(27, 0, -1)
    ]
    await expect(page.get_by_text("27 deliveries, the oldest reached.")).to_be_visible()
    await expect(
        page.get_by_role("button", name="Details of delivery 2", exact=True)
    ).to_be_focused()
    await expect(page.get_by_role("button", name="Older deliveries")).to_have_count(0)
