"""The OpenAPI documentation pages (ReDoc at ``/schema``, Swagger UI at
``/schema/swagger``) with every script, style sheet and icon they load served by the app.

Litestar's render plugins load their scripts from CDNs (and ReDoc's fonts from Google)
unless told otherwise, which leaves the pages blank on a machine without internet. The
released files are vendored unchanged in ``docs_assets/`` (versions below, source and
licences in its README; ``scripts/update-docs-assets`` replaces them) and served, public
like the pages themselves, under ``/schema/assets/``. Their URLs carry the version, so a
browser's cached copy is never used for another release.

The pages' Content-Security-Policy then holds the browser to this origin whatever a
bundle links to: ReDoc 2 always shows an "API docs by Redocly" link with a logo from
Redocly's CDN, which is thus never asked for (ReDoc drops the image when it fails). The
pages' own inline script and the styles the bundles inject need ``'unsafe-inline'``;
ReDoc's search runs in a worker made from a ``blob:``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Response, Router
from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import (
    JsonRenderPlugin,
    OpenAPIRenderPlugin,
    RedocRenderPlugin,
    SwaggerRenderPlugin,
    YamlRenderPlugin,
)
from litestar.static_files import create_static_files_router

from incentives.api.contract import as_served

# Redoc 2: its standalone bundle defines the global ``Redoc.init`` that Litestar's page
# calls (Redoc 3's is an ES module without it, and reports usage to Redocly by default).
REDOC_VERSION = "2.5.4"
SWAGGER_UI_VERSION = "5.36.0"

SCHEMA_PATH = "/schema"
# Under the docs' own path, which the token check leaves out.
ASSETS_PATH = f"{SCHEMA_PATH}/assets"
ASSETS = Path(__file__).with_name("docs_assets")
# The web page's icon, public too.
FAVICON = "<link rel='icon' type='image/svg+xml' href='/app/favicon.svg'>"
POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:;"
    " form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def asset_url(name: str, version: str) -> str:
    """Where the pages load the vendored file ``name`` of the given release."""
    return f"{ASSETS_PATH}/{name}?v={version}"


class _AsServed:
    """A render plugin serving the schema with what the handlers cannot say added
    (``contract.as_served``: optional bodies, the demo's examples)."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """The page or file, from the corrected schema."""
        rendered: bytes = super().render(request, as_served(openapi_schema))  # type: ignore[misc]
        return rendered


class _Redoc(_AsServed, RedocRenderPlugin):
    pass


class _Swagger(_AsServed, SwaggerRenderPlugin):
    pass


class _Json(_AsServed, JsonRenderPlugin):
    pass


class _Yaml(_AsServed, YamlRenderPlugin):
    pass


def render_plugins() -> list[OpenAPIRenderPlugin]:
    """ReDoc (also at the root, ``/schema``), Swagger UI and the schema as JSON and YAML.

    Litestar's default set also has Stoplight Elements and RapiDoc, left out: nothing
    here links to them and they would need vendored bundles of their own."""
    return [
        _Redoc(
            path=["/", "/redoc"],
            js_url=asset_url("redoc.standalone.js", REDOC_VERSION),
            google_fonts=False,
            favicon=FAVICON,
        ),
        _Swagger(
            path="/swagger",
            js_url=asset_url("swagger-ui-bundle.js", SWAGGER_UI_VERSION),
            css_url=asset_url("swagger-ui.css", SWAGGER_UI_VERSION),
            standalone_preset_js_url=asset_url(
                "swagger-ui-standalone-preset.js", SWAGGER_UI_VERSION
            ),
            favicon=FAVICON,
        ),
        _Json(path="/openapi.json"),
        _Yaml(path=["/openapi.yaml", "/openapi.yml"]),
    ]


def _secured(response: Response[object]) -> Response[object]:
    for name, value in HEADERS.items():
        response.headers[name] = value
    return response


def router() -> Router:
    """The router Litestar adds the pages and the schema files to, with the policy."""
    return Router(
        path=SCHEMA_PATH, route_handlers=[], include_in_schema=False, after_request=_secured
    )


assets: Router = create_static_files_router(
    path=ASSETS_PATH,
    directories=[ASSETS],
    name="docs-assets",
    opt={"exclude_from_auth": True},
    cache_control=CacheControlHeader(public=True, max_age=7 * 24 * 3600),
)
