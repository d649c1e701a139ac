"""The API docs pages render in a browser that may reach nothing but the app."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, Request, Route, expect

from incentives.api import docs
from tests.web.conftest import Console


@pytest.fixture
async def outside(page: Page, site: str) -> list[str]:
    """Requests for anything not on the app's own origin, aborted and recorded (stricter
    than the page fixture's guard, which lets any local port through)."""
    refused: list[str] = []

    async def own_origin_only(route: Route, request: Request) -> None:
        if request.url.startswith((f"{site}/", "data:", "blob:")):
            await route.continue_()
        else:
            refused.append(request.url)
            await route.abort()

    await page.route("**/*", own_origin_only)
    return refused


def _requested(page: Page) -> list[str]:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    return asked


async def test_redoc_renders_from_the_apps_own_files(
    page: Page, site: str, outside: list[str], console: Console
) -> None:
    # ReDoc's "API docs by Redocly" link shows a logo from Redocly's CDN: the page's
    # policy blocks it before any request is made, and ReDoc leaves the image out.
    console.expect(r"^Loading the image 'https://cdn\.redoc\.ly/[^']*' violates .*img-src")
    asked = _requested(page)
    await page.goto("/schema")
    await expect(page.get_by_role("heading", name="incentives (0.1.0)")).to_be_visible()
    # An operation: in the menu and as its own section, under its summary, with its path.
    operation = page.locator("h2").filter(has_text=re.compile(r"^Upsert a batch of deals"))
    await expect(operation).to_be_visible()
    await expect(page.get_by_text("/api/v1/ingest/deals", exact=True).first).to_be_attached()
    # Grouped by audience: the ingest under integration's group.
    await expect(page.get_by_role("menuitem", name="integration")).to_be_visible()
    await page.wait_for_load_state("networkidle")
    assert outside == []
    assert f"{site}{docs.asset_url('redoc.standalone.js', docs.REDOC_VERSION)}" in asked


async def test_swagger_ui_renders_from_the_apps_own_files(
    page: Page, site: str, outside: list[str]
) -> None:
    asked = _requested(page)
    # Opened at a group's link: Swagger UI draws the groups as they are scrolled to.
    await page.goto("/schema/swagger#/integration")
    await expect(page.locator(".swagger-ui .info .title")).to_contain_text("incentives")
    paths = page.locator(".opblock-summary-path")
    await expect(paths.filter(has_text="/api/v1/me").first).to_be_visible()
    await expect(paths.filter(has_text="/api/v1/ingest/deals").first).to_be_visible()
    await page.wait_for_load_state("networkidle")
    assert outside == []
    for name in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert f"{site}{docs.asset_url(name, docs.SWAGGER_UI_VERSION)}" in asked, name
