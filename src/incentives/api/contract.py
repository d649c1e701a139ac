"""The API's description as a contract: every operation's summary and description from its
handler's docstring, its audiences (``audiences.py``: the tags the docs group by), the
error answers every operation can give, documented once, here, with the one
problem-details body they all share, and, as served, the request and answer examples
recorded on the demo (``examples/``).

The statuses follow from how a route is served, so they are derived rather than written
by hand on each handler: 401 on every route that needs a token, 403 on each of those (a
role the route does not admit; an office display on anything but its boards), 404 where
the path names something (or, under ``/me/``, for a caller who is no participant), 400
where a parameter or body is validated, 413 where a body is taken, 503 on every route
that needs a token (the database is away: a token is looked up there). Statuses only some
handlers give (409, 422…) are declared on those handlers with ``problems(...)``; a handler
taking an ``Idempotency-Key`` answers 422 when the key was used for another request.
"""

from __future__ import annotations

import inspect
from typing import Any

from litestar import Litestar
from litestar.openapi import ResponseSpec
from litestar.routes import HTTPRoute

from incentives.api import examples, ingest_schema
from incentives.api.audiences import OWN, audiences
from incentives.api.problems import PROBLEM_JSON, Problem

# Why each error status is given, as an operation's documentation says it.
REASONS = {
    400: "A parameter or the body is malformed; `errors` names each field",
    401: "No bearer token, or one that is not valid",
    403: "Your role may not do this",
    404: "No such resource, or none you may see",
    409: "It conflicts with the resource's current state (changed meanwhile, or in a state"
    " that does not allow it)",
    413: "The body is larger than this operation takes (docs/limits.md)",
    422: "Well-formed but refused; `errors` names each field and what is wrong with it",
    429: "Too many requests of this kind a minute; `Retry-After` says when to ask again",
    503: "The database is unavailable or did not answer in time; retry after the"
    " `Retry-After` seconds",
}


def problem(status: int, reason: str | None = None) -> ResponseSpec:
    """The documented answer ``status``: problem details, and why it is given."""
    return ResponseSpec(
        data_container=Problem,
        description=reason or REASONS[status],
        media_type=PROBLEM_JSON,
        generate_examples=False,
    )


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """A handler's own error answers, for its decorator's ``responses``."""
    return {status: problem(status) for status in statuses}


def summary(doc: str | None) -> str | None:
    """An operation's summary: the first sentence of its docstring."""
    if not doc:
        return None
    first = inspect.cleandoc(doc).split("\n\n", 1)[0].replace("\n", " ")
    return first.split(". ", 1)[0].rstrip(".:")


def _takes_input(handler: Any) -> bool:
    names = set(handler.parsed_fn_signature.parameters)
    return bool(names - {"request", "state", "conn", "socket", "scope"})


def optional_bodies(schema: dict[str, Any]) -> dict[str, Any]:
    """Mark a request body optional where its schema admits none (``null``), in the
    schema as served: Litestar marks every body required, so a client would be told to
    send what it may leave out. Changes ``schema`` in place (it is built once)."""
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if not body:
                continue
            for media in body.get("content", {}).values():
                choices = media.get("schema", {}).get("oneOf", [])
                if any(c.get("type") == "null" for c in choices):
                    body["required"] = False
    return schema


def as_served(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema as served: what the handlers cannot say added (``optional_bodies``, an
    ingest operation per kind of item, and the examples recorded on the demo). Changes
    ``schema`` in place (it is built once)."""
    typed = ingest_schema.per_kind(optional_bodies(schema))
    return examples.attach(typed, examples.recorded())


def document(app: Litestar) -> None:
    """Give each operation of ``app`` its summary, its audiences' tags and its error answers
    (before the schema is first built)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.include_in_schema:
                continue
            doc = handler.fn.__doc__
            handler.summary = handler.summary or summary(doc)
            handler.description = handler.description or (doc and inspect.cleandoc(doc))
            handler.tags = audiences(route.path, handler)
            errors: dict[int, ResponseSpec] = {}
            if _takes_input(handler):
                errors[400] = problem(400)
            if "data" in handler.parsed_fn_signature.parameters:
                errors[413] = problem(413)
            if not handler.opt.get("exclude_from_auth"):
                errors[401] = problem(401)
                errors[403] = problem(403)
                errors[503] = problem(503)
            if route.path_parameters:
                errors[404] = problem(404)
            elif route.path.startswith(OWN):
                errors[404] = problem(404, "You are not a participant (your role has no pay)")
            if "idempotency_key" in handler.parsed_fn_signature.parameters:
                errors[422] = problem(422, "The Idempotency-Key was used for another request")
            handler.responses = {**errors, **(handler.responses or {})}
