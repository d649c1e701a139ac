"""``GET /metrics``: the process's Prometheus metrics, for the monitoring that scrapes it.

Not public: the figures tell how the service is used (who ingests how much, how often pay
is recomputed), so a scraper holds a token like any client, of an admin or an integration.
"""

from __future__ import annotations

from litestar import Response, get
from litestar.openapi import ResponseSpec

from incentives import metrics as measured
from incentives.api.security import roles
from incentives.auth.roles import Role


@get(
    "/metrics",
    guards=[roles(Role.ADMIN, Role.INTEGRATION)],
    media_type=measured.CONTENT_TYPE,
    responses={
        200: ResponseSpec(
            str,
            description="The metrics in the Prometheus text format",
            media_type=measured.CONTENT_TYPE,
            generate_examples=False,
        )
    },
)
async def metrics() -> Response[bytes]:
    """This process's metrics in the Prometheus text exposition format.

    HTTP requests by method, route template and status (and their latency), calculation
    runs by trigger and outcome (and their duration), ingested items by kind and outcome,
    and scheduled job firings by job and outcome, since the process started. Under several
    server workers each has its own figures: a scrape reads the worker that answers it."""
    return Response(measured.exposition(), media_type=measured.CONTENT_TYPE)
