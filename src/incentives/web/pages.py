"""Serves the web page under ``/app`` and sends ``/`` there.

The page is static: it holds no data and signs in with the same bearer tokens as the
API, so its files are public while every API call it makes is authenticated. Its
strict Content-Security-Policy allows scripts, styles and requests to this origin only,
so nothing is fetched from elsewhere and an injected inline script would not run.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Response, Router, get
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

STATIC = Path(__file__).with_name("static")
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
    " connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _secured(response: Response[object]) -> Response[object]:
    for name, value in HEADERS.items():
        response.headers[name] = value
    return response


@get("/", exclude_from_auth=True, include_in_schema=False)
async def home() -> Redirect:
    """The page lives at ``/app/``."""
    return Redirect(path="/app/")


assets: Router = create_static_files_router(
    path="/app",
    directories=[STATIC],
    html_mode=True,
    name="web",
    opt={"exclude_from_auth": True},
    after_request=_secured,
)
