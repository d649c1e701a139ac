"""The API docs pages load only files the app serves itself, publicly."""

from __future__ import annotations

import hashlib
import re

import pytest

from incentives.api import docs
from tests.api.conftest import Client

ASSETS = {
    "redoc.standalone.js": ("javascript", docs.REDOC_VERSION),
    "swagger-ui-bundle.js": ("javascript", docs.SWAGGER_UI_VERSION),
    "swagger-ui-standalone-preset.js": ("javascript", docs.SWAGGER_UI_VERSION),
    "swagger-ui.css": ("text/css", docs.SWAGGER_UI_VERSION),
}
# Where an HTML page names something it loads: src and href attributes.
LOADS = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']+)["']""")


@pytest.mark.parametrize("name", sorted(ASSETS))
async def test_each_asset_answers_without_a_token(client: Client, name: str) -> None:
    kind, version = ASSETS[name]
    response = await client.get(docs.asset_url(name, version))
    assert response.status_code == 200
    assert kind in response.headers["content-type"]
    assert response.content == (docs.ASSETS / name).read_bytes()
    assert "max-age" in response.headers["cache-control"]


@pytest.mark.parametrize("path", ["/schema", "/schema/redoc", "/schema/swagger"])
async def test_the_pages_load_only_this_apps_files(client: Client, path: str) -> None:
    page = await client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    loaded = LOADS.findall(page.text)
    assert loaded, page.text[:500]
    assert all(url.startswith("/") and not url.startswith("//") for url in loaded), loaded
    assert "fonts.googleapis" not in page.text
    # The browser is held to this origin whatever a bundle links to.
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "img-src 'self' data:;" in policy
    for url in loaded:
        response = await client.get(url)
        assert response.status_code == 200, url


async def test_other_files_stay_out_of_reach(client: Client) -> None:
    assert (await client.get(f"{docs.ASSETS_PATH}/nothing.js")).status_code == 404
    assert (await client.get(f"{docs.ASSETS_PATH}/%2E%2E/docs.py")).status_code == 404


def test_the_files_are_the_named_releases_unchanged() -> None:
    listed: dict[str, str] = {}
    for line in (docs.ASSETS / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    assert set(listed) == set(ASSETS)
    for name, digest in listed.items():
        assert hashlib.sha256((docs.ASSETS / name).read_bytes()).hexdigest() == digest, name
    redoc = (docs.ASSETS / "redoc.standalone.js.LICENSE.txt").read_text()
    assert f'Version: "{docs.REDOC_VERSION}"' in redoc
    swagger = (docs.ASSETS / "swagger-ui-bundle.js").read_text()
    assert f'PACKAGE_VERSION:"{docs.SWAGGER_UI_VERSION}"' in swagger
    readme = (docs.ASSETS / "README.md").read_text()
    assert f"| {docs.REDOC_VERSION} |" in readme and f"| {docs.SWAGGER_UI_VERSION} |" in readme
