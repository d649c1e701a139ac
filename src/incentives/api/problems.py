"""Errors as RFC 9457 problem details, with every bad field named."""

from __future__ import annotations

import logging
from typing import Any, assert_never

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.status_codes import (
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from incentives.db.faults import OUTAGE, RETRY_AFTER, Fault, classify
from incentives.errors import DomainError, Kind

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger(__name__)


class FieldProblem(msgspec.Struct, omit_defaults=True):
    """One bad field; ``item`` is its position in a batch, when there is one."""

    field: str
    message: str
    item: int | None = None
    key: str | None = None


class Problem(msgspec.Struct, omit_defaults=True):
    """A problem details body."""

    title: str
    status: int
    detail: str | None = None
    type: str = "about:blank"
    errors: list[FieldProblem] = msgspec.field(default_factory=list)


def _response(problem: Problem, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        content=problem, status_code=problem.status, media_type=PROBLEM_JSON, headers=headers
    )


def _field_of(key: str) -> str:
    return key or "(body)"


def status_of(kind: Kind) -> int:
    """The HTTP status of a domain refusal of this kind."""
    match kind:
        case Kind.NOT_FOUND:
            return HTTP_404_NOT_FOUND
        case Kind.CONFLICT:
            return HTTP_409_CONFLICT
        case Kind.INVALID:
            return HTTP_422_UNPROCESSABLE_ENTITY
        case Kind.FORBIDDEN:
            return HTTP_403_FORBIDDEN
        case _:
            assert_never(kind)


def domain_error(_: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    """A domain's refusal: its kind gives the status, its fields the ``errors``."""
    return _response(
        Problem(
            title=exc.summary,
            status=status_of(exc.kind),
            detail=exc.detail,
            errors=[
                FieldProblem(field=_field_of(f.field), message=f.message, item=f.item, key=f.key)
                for f in exc.fields
            ],
        )
    )


def http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Any HTTP error as problem details; validation errors name their fields."""
    errors: list[FieldProblem] = []
    if isinstance(exc.extra, list):
        for entry in exc.extra:
            if isinstance(entry, dict):
                errors.append(
                    FieldProblem(
                        field=_field_of(str(entry.get("key", ""))),
                        message=str(entry.get("message", "")),
                    )
                )
    status = exc.status_code
    if status == HTTP_413_REQUEST_ENTITY_TOO_LARGE:
        errors.append(FieldProblem(field=_field_of(""), message="is larger than this route takes"))
    title = exc.detail if status < HTTP_500_INTERNAL_SERVER_ERROR else "Internal Server Error"
    return _response(Problem(title=title, status=status, errors=errors), exc.headers)


# Sent with every answer given because the database is away.
UNAVAILABLE_HEADERS = {"Retry-After": str(RETRY_AFTER)}


def unavailable() -> Response[Any]:
    """503: the database is away; the client may retry after ``Retry-After`` seconds."""
    return _response(
        Problem(
            title="The database is unavailable; try again shortly",
            status=HTTP_503_SERVICE_UNAVAILABLE,
        ),
        UNAVAILABLE_HEADERS,
    )


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Anything else raised: the database's refusal to change what is final (409), the
    database away (503, logged once per outage), or a defect (500 without leaking
    internals; the traceback goes to the log)."""
    failure = classify(exc)
    if failure is None:
        logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return _response(Problem(title="Internal Server Error", status=500))
    match failure.fault:
        case Fault.SEALED:
            return _response(Problem(title=failure.message, status=HTTP_409_CONFLICT))
        case Fault.UNAVAILABLE:
            OUTAGE.failed(failure)
            return unavailable()
        case _:
            assert_never(failure.fault)
