"""Every hostile input of the table (``hostile.py``) is refused with its exact 4xx, naming
its field, with nothing logged as an error; the costliest of them stays cheap; the
estimator is limited per caller."""

from __future__ import annotations

import datetime as dt
import logging
import time

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.bounds import Amount
from incentives.calc.estimate import EstimateError, HypotheticalDeal, estimate
from incentives.db.connection import driver_of
from tests.api.conftest import Client, Headers
from tests.api.hostile import LAUGHS, Case, cases
from tests.http import api_client


def _named(body: dict[str, object], field: str) -> bool:
    if not field:
        return True
    errors = body.get("errors")
    return isinstance(errors, list) and any(e.get("field") == field for e in errors)


async def _send(
    client: Client, case: Case, headers: dict[str, str]
) -> tuple[int, dict[str, object]]:
    answer = await client.request(
        case.method, case.path, json=case.body, content=case.content, headers=headers
    )
    is_problem = answer.headers.get("content-type", "").startswith("application/problem+json")
    return answer.status_code, answer.json() if is_problem else {"text": answer.text[:200]}


async def test_every_hostile_input_is_refused_naming_its_field(
    client: Client, world: Headers, caplog: pytest.LogCaptureFixture
) -> None:
    table = cases()
    assert len(table) > 150
    wrong = []
    with caplog.at_level(logging.WARNING):
        for case in table:
            status, body = await _send(client, case, world[case.role])
            if status != case.expect[0] or not _named(body, case.expect[1]):
                wrong.append(f"{case.name}: {status} {body}")
    assert not wrong, "\n".join(wrong)
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert logged == []


async def test_the_costliest_hostile_requests_stay_cheap(client: Client, world: Headers) -> None:
    costly = [
        (
            "/api/v1/me/estimate",
            world["rep"],
            {"deals": [{"amount": "1E+400000", "close_date": "2026-02-01"}] * 100},
        ),
        ("/api/v1/plans", world["finance"], {"source": LAUGHS * 20}),
    ]
    for path, headers, body in costly:
        started = time.process_time()
        answer = await client.post(path, json=body, headers=headers)
        spent = time.process_time() - started
        assert 400 <= answer.status_code < 500, answer.text
        assert spent < 0.1, f"{path} took {spent * 1000:.0f} ms of CPU"


async def test_the_estimator_answers_429_beyond_its_count_a_minute(
    db: AsyncEngine, world: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INCENTIVES_ESTIMATES_PER_MINUTE", "2")
    ask = {"deals": [{"amount": "1000", "close_date": "2026-02-01"}]}
    async with api_client(db) as client:
        for _ in range(2):
            answer = await client.post("/api/v1/me/estimate", json=ask, headers=world["rep"])
            assert answer.status_code == 200, answer.text
        refused = await client.post("/api/v1/me/estimate", json=ask, headers=world["rep"])
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.json()["errors"] == [{"field": "(request)", "message": "at most 2 a minute"}]
        # Another caller has a count of their own.
        other = await client.post("/api/v1/me/estimate", json=ask, headers=world["manager"])
        assert other.status_code != 429


async def test_an_estimate_over_its_budget_is_refused_naming_the_deals(
    db: AsyncEngine, world: Headers
) -> None:
    deal = HypotheticalDeal(amount=Amount.read("1000"), close_date=dt.date(2026, 2, 1))
    async with db.connect() as sa_conn:
        conn = await driver_of(sa_conn)
        rep = await conn.fetchval("SELECT id FROM participants WHERE external_id = 'rep-1'")
        assert (await estimate(conn, rep, [deal], budget=60)).periods
        with pytest.raises(EstimateError) as refused:
            await estimate(conn, rep, [deal], budget=0)
    assert [f.field for f in refused.value.fields] == ["deals"]
