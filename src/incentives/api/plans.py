"""Publishing plans and running calculations (finance and admin)."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Request, Response, Router, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter

from incentives.api.contract import problems
from incentives.api.deps import Id
from incentives.api.security import roles
from incentives.auth.principals import Principal
from incentives.auth.roles import Role
from incentives.bounds import BULK_BODY_MAX, MAX_BATCH, ExternalId, FileName
from incentives.calc import runs
from incentives.calc.dry_run import PlanImpact, dry_run
from incentives.db.connection import driver_transaction
from incentives.plans import publish

FINANCE = roles(Role.FINANCE, Role.ADMIN)


class PlanSource(msgspec.Struct, forbid_unknown_fields=True):
    """A plan file's text; ``filename`` names it in errors and says YAML or JSON."""

    source: Annotated[str, msgspec.Meta(min_length=1, max_length=1_000_000)]
    filename: FileName = "plan.yaml"


@post(
    "/plans",
    guards=[FINANCE],
    status_code=201,
    responses={
        200: ResponseSpec(
            publish.PublishedVersion | PlanImpact,
            description="Nothing published: a dry run's impact, or the version already"
            " published with this very content",
            generate_examples=False,
        ),
        **problems(409, 422),
    },
    request_max_body_size=BULK_BODY_MAX,
)
async def publish_plan(
    state: State,
    request: Request[Principal, Any, Any],
    data: JSONBody[PlanSource],
    dry_run_: Annotated[bool, QueryParameter(name="dry_run")] = False,
) -> Response[publish.PublishedVersion | PlanImpact]:
    """Publish a new immutable plan version, or with ``?dry_run=true`` publish nothing and
    return what the new version would change in each participant's open-period pay."""
    if dry_run_:
        impact = await dry_run(state.engine, data.source, data.filename)
        return Response(impact, status_code=200)
    async with driver_transaction(state.engine) as conn:
        version = await publish.publish(conn, data.source, data.filename, request.user.actor())
    return Response(version, status_code=201 if version.created else 200)


@get("/plans")
async def list_plans(conn: NamedDependency[asyncpg.Connection]) -> list[publish.PublishedVersion]:
    """The newest version of every plan."""
    newest: dict[str, publish.PublishedVersion] = {}
    for version in await publish.versions(conn):
        newest.setdefault(version.key, version)
    return list(newest.values())


@get("/plans/{key:str}/versions")
async def plan_versions(
    conn: NamedDependency[asyncpg.Connection], key: FromPath[str]
) -> list[publish.PublishedVersion]:
    """Every published version of a plan, newest first."""
    found = await publish.versions(conn, key)
    if not found:
        raise NotFoundException(f"No plan {key!r}")
    return found


class RunRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The scope of a calculation run: a period, optionally only some participants."""

    period: Annotated[str, msgspec.Meta(min_length=4, max_length=20)]
    participants: Annotated[list[ExternalId], msgspec.Meta(max_length=MAX_BATCH)] | None = None


@post("/calc-runs", guards=[FINANCE], status_code=201, responses=problems(409, 422))
async def start_run(
    state: State, request: Request[Principal, Any, Any], data: JSONBody[RunRequest]
) -> runs.RunSummary:
    """Recompute a period (every plan in force over it) now; 409 if one is already running."""
    return await runs.calculate(
        state.engine,
        period=data.period,
        participants=data.participants,
        trigger="api",
        actor=request.user.actor(),
    )


@get("/calc-runs/{run_id:int}", guards=[FINANCE])
async def get_run(conn: NamedDependency[asyncpg.Connection], run_id: Id) -> runs.RunSummary:
    """A recorded run."""
    found = await runs.summary(conn, run_id)
    if found is None:
        raise NotFoundException("No such run")
    return found


plans_router = Router(
    path="/api/v1",
    route_handlers=[publish_plan, list_plans, plan_versions, start_run, get_run],
)
