"""A domain's refusal is answered in one place (``api/problems.py``): its kind gives the
status, and the body is problem details naming each refused field."""

from __future__ import annotations

from typing import Any, cast

import httpx
import pytest
from litestar import get
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api.app import create_app
from incentives.errors import DomainError, FieldError, Kind
from tests.api.conftest import Headers

STATUS = {Kind.NOT_FOUND: 404, Kind.CONFLICT: 409, Kind.INVALID: 422, Kind.FORBIDDEN: 403}


@pytest.mark.parametrize("kind", list(Kind))
async def test_each_kind_answers_its_status_as_problem_details(
    db: AsyncEngine, auth: Headers, kind: Kind
) -> None:
    refusal = type("Refusal", (DomainError,), {"kind": kind})
    fields = [FieldError("amount", "must be above zero"), FieldError("", "too late")]

    @get("/refuse", sync_to_thread=False)
    def refuse() -> None:
        raise refusal("it is refused", fields)

    app = create_app(db)
    app.register(refuse)
    transport = httpx.ASGITransport(app=cast(Any, app))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        answer = await client.get("/refuse", headers=auth["finance"])
    assert answer.status_code == STATUS[kind]
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json() == {
        "title": "it is refused",
        "status": STATUS[kind],
        # A field without a name is the request as a whole, as for any validation error.
        "errors": [
            {"field": "amount", "message": "must be above zero"},
            {"field": "(body)", "message": "too late"},
        ],
    }
