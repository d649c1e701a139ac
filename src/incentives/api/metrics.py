"""``GET /metrics``: the process's Prometheus metrics, for the monitoring that scrapes it.

Not public: the figures tell how the service is used (who ingests how much, how often pay
is recomputed), so a scraper holds a token like any client, of an admin or an integration.
"""

from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi import ResponseSpec

from incentives import metrics as measured
from incentives.api.security import roles
from incentives.auth.roles import Role
from incentives.recompute import pending


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
async def metrics(state: State) -> Response[bytes]:
    """This process's metrics in the Prometheus text exposition format.

    HTTP requests by method, route template and status (and their latency), calculation
    runs by trigger and outcome (and their duration), ingested items by kind and outcome,
    scheduled job firings by job and outcome and webhook delivery attempts, since the
    process started; and the age of the oldest change whose pay is not yet recomputed.
    Under several server workers each has its own figures: a scrape reads the worker that
    answers it."""
    measured.PENDING_RECOMPUTE_AGE.set(await pending.oldest_age(state.engine))
    return Response(measured.exposition(), media_type=measured.CONTENT_TYPE)
