"""The web page in headless Chromium (Debian's package, driven by Playwright), against
the API served by a real ``incentives serve`` process on the test database.

Every test gets a fresh server (no caches carried over from another test's data), a
fresh browser context, a record of the page's console (an error there fails the test
unless the test expects it) and a guard that fails any request leaving this machine.
A failing test leaves a screenshot in ``INCENTIVES_SCREENSHOTS`` (default
``test-artifacts/screenshots``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import STDOUT

import pytest
from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Page,
    Request,
    Route,
    ViewportSize,
    async_playwright,
)

from tests.api.conftest import Headers, auth, client, screen, world  # noqa: F401 - fixtures used here
from tests.http import running_in_group, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(
    os.environ.get("INCENTIVES_SCREENSHOTS", ROOT / "test-artifacts" / "screenshots")
)
CHROMIUM = os.environ.get("INCENTIVES_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking switches Chromium keeps calling home, which a closed
# network refuses; as root it needs --no-sandbox.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STOP_SECONDS = 10
ASSETS = Path(__file__).with_name("assets")
AXE = ASSETS / "axe-core" / "axe.min.js"
CHECKS = ASSETS / "checks.js"
PHONE: ViewportSize = {"width": 360, "height": 780}
LOCAL = re.compile(r"^(https?://127\.0\.0\.1(:\d+)?/|data:|about:|blob:)")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test, so fixtures know whether it failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def chromium() -> str:
    """The system's Chromium; the test command's set-up installs Debian's package."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not at {CHROMIUM}; scripts/test installs Debian's chromium")
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    """One headless Chromium for the session."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server_settings() -> dict[str, str]:
    """Settings the served process gets besides the test database's; a test module that
    needs others (a short webhook retry schedule, say) overrides this fixture."""
    return {}


@pytest.fixture
async def site(
    database_url: str,
    world: Headers,  # noqa: F811
    tmp_path: Path,
    server_settings: dict[str, str],
) -> AsyncIterator[str]:
    """The API and the page served by a child ``incentives serve`` on the test world; it
    must stop within seconds when asked, as under a process manager."""
    port = _free_port()
    env = {
        **os.environ,
        "INCENTIVES_DATABASE_URL": database_url,
        "INCENTIVES_SCHEDULER": "off",
        **server_settings,
    }
    program = str(Path(sys.executable).with_name("incentives"))
    log = tmp_path / "serve.log"
    # A session of its own, so that nothing it starts outlives the test.
    with log.open("wb") as out:
        server = await asyncio.create_subprocess_exec(
            program,
            "serve",
            "--port",
            str(port),
            env=env,
            stdout=out,
            stderr=STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_until_healthy(server, base, log, 15)
        yield base
    finally:
        server.terminate()
        try:
            await asyncio.wait_for(server.wait(), STOP_SECONDS)
        except TimeoutError:
            os.killpg(server.pid, signal.SIGKILL)
            await server.wait()
            pytest.fail(
                f"the server did not stop within {STOP_SECONDS} s: {log.read_text()[-2000:]}"
            )
        # Nothing it started (the rollups' worker) may outlive it.
        for _ in range(40):
            if not (left := running_in_group(server.pid)):
                break
            await asyncio.sleep(0.05)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            pytest.fail(f"processes the server started outlived it: {left}")


@dataclass
class Console:
    """What the page said: errors fail the test unless they match an expected pattern."""

    errors: list[str] = field(default_factory=list)
    expected: list[re.Pattern[str]] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def expect(self, pattern: str) -> None:
        """Let errors matching ``pattern`` through (a refusal the test provokes)."""
        self.expected.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        """Errors no expected pattern covers."""
        return [e for e in self.errors if not any(p.search(e) for p in self.expected)]


@pytest.fixture
def console() -> Console:
    """The page's console record."""
    return Console()


@pytest.fixture
async def page(
    browser: Browser, site: str, console: Console, request: pytest.FixtureRequest
) -> AsyncIterator[Page]:
    """A new page on the site; screenshot on failure, console errors checked at the end."""
    context = await browser.new_context(
        base_url=site, viewport={"width": 1280, "height": 900}, locale="en-US", timezone_id="UTC"
    )

    async def local_only(route: Route, req: Request) -> None:
        if LOCAL.match(req.url):
            await route.continue_()
        else:
            console.outside.append(req.url)
            await route.abort()

    await context.route("**/*", local_only)
    opened = await context.new_page()
    opened.set_default_timeout(10_000)

    def said(message: ConsoleMessage) -> None:
        if message.type == "error":
            console.errors.append(f"{message.text} ({message.location.get('url', '')})")

    opened.on("console", said)
    opened.on("pageerror", lambda exc: console.errors.append(f"uncaught: {exc}"))
    yield opened
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        await opened.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    await context.close()
    assert not console.outside, f"the page fetched from outside this machine: {console.outside}"
    assert not console.unexpected(), f"errors in the browser console: {console.unexpected()}"


def token_of(headers: dict[str, str]) -> str:
    """The bearer token in an Authorization header."""
    return headers["Authorization"].removeprefix("Bearer ")


async def sign_in(page: Page, headers: dict[str, str]) -> None:
    """Sign in through the form, as a user would."""
    await page.goto("/app/")
    await page.get_by_label("API token").fill(token_of(headers))
    await page.get_by_role("button", name="Sign in").click()
    await page.locator("#nav a").first.wait_for()


async def _check(page: Page, name: str) -> list[str]:
    found: list[str] = await page.evaluate(f"({CHECKS.read_text()}).{name}()")
    return found


async def assert_accessible(page: Page) -> None:
    """axe-core (vendored, evaluated in the page) finds no serious or critical violation
    of WCAG 2.1 A and AA on what the page shows now."""
    await page.evaluate(AXE.read_text())
    found = await _check(page, "violations")
    assert not found, f"accessibility violations: {found}"


async def assert_fits(page: Page) -> None:
    """Nothing is cut off at the page's width: the page does not scroll sideways and
    every table cell lies inside the viewport. Retried for two seconds, as Playwright's
    own assertions are: charts follow a change of width on the next frames."""
    for _ in range(10):
        cut = await _check(page, "cut")
        if not cut:
            return
        await page.wait_for_timeout(200)
    assert not cut, f"cut off at {page.viewport_size}: {cut[:10]}"
