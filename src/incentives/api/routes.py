"""Route handlers: health, identity, periods and ingest."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, PathParameter, QueryParameter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api.contract import problems
from incentives.api.deps import today
from incentives.api.problems import UNAVAILABLE_HEADERS
from incentives.api.security import ON_DISPLAY, roles
from incentives.auth.principals import Principal
from incentives.auth.roles import Role
from incentives.bounds import BULK_BODY_MAX, MAX_BATCH, YEAR_MAX, YEAR_MIN, FiscalYear
from incentives.db.connection import driver_transaction
from incentives.db.faults import OUTAGE, Fault, classify
from incentives.ingest.items import Kind
from incentives.ingest.service import IngestResult, ingest
from incentives.ingest.touched import Touched
from incentives.periods.store import GeneratedYear, generate
from incentives.plans.vocabulary import vocabularies_in_force
from incentives.recompute import pending
from incentives.recompute.after_ingest import after_ingest


class Health(msgspec.Struct):
    """Liveness with a database round trip."""

    status: Literal["ok", "unavailable"]
    database: Literal["ok", "down"]


@get(
    "/health",
    exclude_from_auth=True,
    responses={
        503: ResponseSpec(
            Health,
            description="The database is down (or not answering); retry after Retry-After",
        )
    },
)
async def health(state: State) -> Response[Health]:
    """Public: the service is up and its database answers (200), or the database is
    down (503, with ``Retry-After``)."""
    engine: AsyncEngine = state.engine
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        failure = classify(exc)
        if failure is None or failure.fault is not Fault.UNAVAILABLE:
            raise
        OUTAGE.failed(failure)
        down = Health(status="unavailable", database="down")
        return Response(down, status_code=503, headers=UNAVAILABLE_HEADERS)
    OUTAGE.back()
    return Response(Health(status="ok", database="ok"))


class Me(msgspec.Struct):
    """Who the token belongs to."""

    name: str
    role: str
    participant: str | None


@get("/api/v1/me", opt=ON_DISPLAY)
async def me(request: Request[Principal, Any, Any]) -> Me:
    """The caller's identity and role."""
    return Me(request.user.name, request.user.role, request.user.participant_key)


class IngestBatch(msgspec.Struct, forbid_unknown_fields=True):
    """Up to 10,000 items of one kind; see the item schemas in the docs."""

    items: Annotated[list[dict[str, Any]], msgspec.Meta(min_length=1, max_length=MAX_BATCH)]


@post(
    "/api/v1/ingest/{kind:str}",
    guards=[roles(Role.ADMIN, Role.INTEGRATION)],
    status_code=200,
    responses=problems(409, 422),
    request_max_body_size=BULK_BODY_MAX,
)
async def ingest_batch(
    state: State,
    request: Request[Principal, Any, Any],
    kind: Annotated[Kind, PathParameter(description="what the items are")],
    data: JSONBody[IngestBatch],
) -> Response[IngestResult]:
    """Upsert a batch keyed by external id: all of it or, on any bad item, none (422).

    After the commit, the pay the batch touched is recomputed in the background. A batch
    naming a key that a CSV import is creating meanwhile waits for the import, then is
    refused with 409: send it again.
    ``warnings`` names accepted deals and activities whose product, type or attribute
    differs only by case or spacing from what the plans in force name."""
    touched = Touched()
    actor = request.user.actor()
    pending_id = None
    async with driver_transaction(state.engine) as conn:
        result = await ingest(
            conn, kind, data.items, actor, touched=touched, plans_in_force=vocabularies_in_force
        )
        if touched:
            # Kept until recomputed: a crash before then leaves it to be made again.
            pending_id = await pending.record(conn, touched)
    if pending_id is None:
        return Response(result)
    after = BackgroundTask(
        after_ingest, state.engine, touched, actor, state.rollups, today(), pending_id
    )
    return Response(result, background=after)


class Period(msgspec.Struct):
    """A fiscal period."""

    id: int
    kind: str
    label: str
    fiscal_year: int
    start_date: str
    end_date: str
    status: str


@get("/api/v1/periods", opt=ON_DISPLAY)
async def list_periods(
    state: State,
    fiscal_year: Annotated[int | None, QueryParameter(ge=YEAR_MIN, le=YEAR_MAX)] = None,
) -> list[Period]:
    """Every period, or a fiscal year's, in date order."""
    engine: AsyncEngine = state.engine
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT id, kind, label, fiscal_year, start_date::text, end_date::text, status"
                " FROM periods WHERE CAST(:year AS int) IS NULL OR fiscal_year = :year"
                " ORDER BY start_date, CASE kind WHEN 'year' THEN 0 WHEN 'quarter' THEN 1"
                " ELSE 2 END"
            ),
            {"year": fiscal_year},
        )
        return [Period(*row) for row in rows]


class FiscalYearRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Which fiscal year to generate, and the month it starts in."""

    fiscal_year: FiscalYear
    first_month: Annotated[int, msgspec.Meta(ge=1, le=12)] = 1


@post("/api/v1/periods/generate", guards=[roles(Role.FINANCE, Role.ADMIN)])
async def generate_periods(
    state: State, request: Request[Principal, Any, Any], data: JSONBody[FiscalYearRequest]
) -> GeneratedYear:
    """Create a fiscal year's months, quarters and year (those not there yet)."""
    async with driver_transaction(state.engine) as conn:
        return await generate(conn, data.fiscal_year, data.first_month, request.user.actor())
