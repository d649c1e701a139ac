"""The Litestar application."""

from __future__ import annotations

import gc

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives import __version__
from incentives.api import contract, docs, problems, results_cache, routes
from incentives.api.achievements import achievements_router
from incentives.api.audiences import TAGS
from incentives.api.audit import audit_router
from incentives.api.board_stream import board_stream_router
from incentives.api.deps import provide_conn
from incentives.api.disputes import disputes_router
from incentives.api.fast_reads import FastReads
from incentives.api.games import ContestIds, games_router, live_boards
from incentives.api.metrics import metrics
from incentives.api.pay import pay_router
from incentives.api.payouts import payouts_router
from incentives.api.period_boards import period_boards_router
from incentives.api.plans import plans_router
from incentives.api.request_bounds import BoundedRequest, refuse_nul
from incentives.api.security import (
    RecentTokens,
    TokenAuthentication,
    database_lookup,
    displays_read_boards_only,
    token_listening,
)
from incentives.api.statements import statements_router
from incentives.api.throttle import EstimateLimits, PerMinute
from incentives.api.tokens import tokens_router
from incentives.api.unions import BoundedNumberSchema, TaggedUnionSchema
from incentives.api.webhooks import webhook_sending, webhooks_router
from incentives.bounds import BODY_MAX, is_bounded, read_bounded
from incentives.calc.copies import ResultsCache
from incentives.calc.incremental import Rollups, stop_worker
from incentives.config import Settings, load_settings
from incentives.errors import DomainError
from incentives.games.approvals import PrizeLimits
from incentives.games.display import parse_boards
from incentives.games.live import Live
from incentives.scheduler import lifespan as scheduling
from incentives.web import pages


def create_app(
    engine: AsyncEngine, *, owns_engine: bool = False, scheduler: Settings | None = None
) -> Litestar:
    """The API on the given (already migrated) database; ``owns_engine``: dispose of it
    when the app shuts down; ``scheduler``: run the jobs these settings define."""
    settings = load_settings()
    app = Litestar(
        on_shutdown=[stop_worker, *([engine.dispose] if owns_engine else [])],
        lifespan=[
            results_cache.listening,
            token_listening,
            live_boards,
            webhook_sending,
            *([scheduling(engine, scheduler)] if scheduler is not None else []),
        ],
        route_handlers=[
            routes.health,
            routes.me,
            routes.ingest_batch,
            routes.list_periods,
            routes.generate_periods,
            metrics,
            pay_router,
            plans_router,
            statements_router,
            payouts_router,
            disputes_router,
            audit_router,
            games_router,
            board_stream_router,
            period_boards_router,
            achievements_router,
            webhooks_router,
            tokens_router,
            pages.home,
            pages.assets,
            docs.assets,
        ],
        plugins=[TaggedUnionSchema(), BoundedNumberSchema()],
        dependencies={"conn": Provide(provide_conn)},
        guards=[displays_read_boards_only],
        state=State(
            {
                "engine": engine,
                "tokens": RecentTokens(database_lookup(engine)),
                "results": ResultsCache(),
                "rollups": Rollups(),
                "live": Live(),
                "contest_ids": ContestIds(engine),
                "four_eyes": settings.four_eyes,
                "display_boards": parse_boards(settings.display_boards),
                "webhook_retries": settings.webhook_retries,
                "prize_limits": PrizeLimits(
                    settings.contest_max_prize, settings.contest_approval_above
                ),
                "idempotency_hours": settings.idempotency_hours,
                "estimate_limits": EstimateLimits(
                    PerMinute(settings.estimates_per_minute), settings.estimate_budget_ms / 1000
                ),
            }
        ),
        middleware=[refuse_nul, DefineMiddleware(TokenAuthentication, exclude=["^/schema"])],
        request_class=BoundedRequest,
        type_decoders=[(is_bounded, read_bounded)],
        exception_handlers={
            DomainError: problems.domain_error,
            HTTPException: problems.http_error,
            Exception: problems.internal_error,
        },
        openapi_config=OpenAPIConfig(
            title="incentives",
            version=__version__,
            path=docs.SCHEMA_PATH,
            render_plugins=docs.render_plugins(),
            openapi_router=docs.router(),
            components=Components(
                security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}
            ),
            security=[{"bearer": []}],
            tags=TAGS,
        ),
        # Larger on the routes that take batches and plan files (bounds.BULK_BODY_MAX).
        request_max_body_size=BODY_MAX,
        # Logging is set up once by the process (logs.py); Litestar's own set-up would add
        # a second handler and write every line twice.
        logging_config=None,
    )
    contract.document(app)
    return app


def settle_heap() -> None:
    """Exempt what the process holds once its app is built (the code of the app and its
    libraries: nearly all of its objects) from the garbage collector's full passes.

    Under a steady load of reads those passes otherwise stop the process for tens of
    milliseconds several times a minute, which is the slowest reader's wait; afterwards
    they only walk what was made since. Call it once, just before serving.
    """
    gc.collect()
    gc.freeze()


def serving_app(
    engine: AsyncEngine, *, owns_engine: bool = False, scheduler: Settings | None = None
) -> FastReads:
    """The app as it is served: ``create_app`` behind the fast path for kept pages."""
    return FastReads(create_app(engine, owns_engine=owns_engine, scheduler=scheduler))
