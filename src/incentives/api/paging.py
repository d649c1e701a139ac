"""One paging rule for every list: ``limit`` (1 to 500, 50 unless asked) and ``offset``,
the answer a JSON array, with the total in ``X-Total-Count`` and the neighbouring pages in
a ``Link`` header (RFC 8288: ``rel="next"``, ``rel="prev"``).

Headers rather than an envelope, so that a list stays a list for every client already
reading one, and a client that wants the total or the next page finds them the way
GitHub's and most paging APIs give them.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.datastructures import ResponseHeader
from litestar.params import QueryParameter

PAGE_DEFAULT, PAGE_MAX = 50, 500
Limit = Annotated[
    int,
    QueryParameter(ge=1, le=PAGE_MAX, description=f"at most {PAGE_MAX} (default {PAGE_DEFAULT})"),
]
Offset = Annotated[int, QueryParameter(ge=0, le=10**9, description="how many to skip")]
TOTAL = "X-Total-Count"

# The headers a paged list answers with, for its route's ``response_headers``.
PAGE_HEADERS = [
    ResponseHeader(name=TOTAL, documentation_only=True, description="How many there are in all"),
    ResponseHeader(
        name="Link",
        documentation_only=True,
        description='The next and previous pages: <…?offset=50&limit=50>; rel="next"',
    ),
]

T = TypeVar("T")


def _link(request: Request[Any, Any, Any], offset: int, limit: int, rel: str) -> str:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in {"limit", "offset"}]
    query = urlencode([*kept, ("limit", limit), ("offset", offset)])
    return f'<{request.url.path}?{query}>; rel="{rel}"'


def paged(
    request: Request[Any, Any, Any], items: list[T], total: int, limit: int, offset: int
) -> Response[list[T]]:
    """``items`` (one page of ``total``) with the paging headers."""
    links = []
    if offset + limit < total:
        links.append(_link(request, offset + limit, limit, "next"))
    if offset > 0:
        links.append(_link(request, max(0, offset - limit), limit, "prev"))
    headers = {TOTAL: str(total)}
    if links:
        headers["Link"] = ", ".join(links)
    return Response(items, headers=headers)
