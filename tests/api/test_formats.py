"""One format in every answer: moments in UTC to the second with a ``Z``, whatever the
endpoint, whether rendered in SQL or in Python."""

from __future__ import annotations

import re
from typing import Any

from incentives import formats
from incentives.instants import PATTERN
from tests.api.conftest import Client, Headers, make_live, race

MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T")
INSTANT = re.compile(PATTERN)


def _moments(value: Any, path: str = "") -> list[tuple[str, str]]:
    """Every (path, text) in ``value`` that reads as a moment."""
    if isinstance(value, dict):
        return [m for k, v in value.items() for m in _moments(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [m for v in value for m in _moments(v, f"{path}[]")]
    return [(path, value)] if isinstance(value, str) and MOMENT.match(value) else []


async def test_every_moment_in_every_answer_is_utc_to_the_second(
    client: Client, world: Headers, db: Any
) -> None:
    finance, rep = world["finance"], world["rep"]
    closed = await client.post("/api/v1/periods/2026-Q1/close", headers=finance)
    assert closed.status_code == 200, closed.text
    [mine] = (await client.get("/api/v1/statements?participant=rep-1", headers=finance)).json()
    submitted = await client.post(f"/api/v1/statements/{mine['id']}/submit", headers=finance)
    disputed = await client.post(
        f"/api/v1/statements/{mine['id']}/lines/1/disputes",
        json={"message": "Where is D-9?"},
        headers=rep,
    )
    assert disputed.status_code == 201, disputed.text
    answered = await client.post(
        f"/api/v1/disputes/{disputed.json()['id']}/answer",
        json={"answer": "Next run."},
        headers=finance,
    )
    await make_live(client, db, world["finance"], race("spring", "Spring race"))
    run = await client.post("/api/v1/calc-runs", json={"period": "2026-Q2"}, headers=finance)
    answers = [submitted, disputed, answered, run]
    for path in (
        "/api/v1/statements",
        f"/api/v1/statements/{mine['id']}",
        "/api/v1/disputes",
        "/api/v1/audit",
        "/api/v1/contests",
        "/api/v1/contests/spring",
        f"/api/v1/calc-runs/{run.json()['id']}",
        "/api/v1/me/achievements",
    ):
        answers.append(
            await client.get(path, headers=finance if "achievements" not in path else rep)
        )
    found = []
    for answer in answers:
        assert answer.status_code in (200, 201), (answer.url, answer.text)
        found += [(str(answer.url.path), *m) for m in _moments(answer.json())]
    # Each kind of answer holds moments, and each one is in the one format.
    assert {p for p, _, _ in found} >= {
        f"/api/v1/statements/{mine['id']}/submit",
        "/api/v1/disputes",
        "/api/v1/audit",
        "/api/v1/contests",
        f"/api/v1/calc-runs/{run.json()['id']}",
    }
    wrong = [m for m in found if not INSTANT.match(m[2])]
    assert not wrong, wrong


RATIO = re.compile(formats.RATIO)
RATIO_KEYS = {"attainment", "projected_attainment", "of_target", "change_fraction"}


def _ratios(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every (path, value) under a key that names a ratio."""
    if isinstance(value, dict):
        found = [(f"{path}.{k}", v) for k, v in value.items() if k in RATIO_KEYS and v is not None]
        return found + [m for k, v in value.items() for m in _ratios(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [m for v in value for m in _ratios(v, f"{path}[]")]
    return []


async def test_every_ratio_is_a_fraction_to_four_places(client: Client, world: Headers) -> None:
    finance, rep = world["finance"], world["rep"]
    found = []
    for path, who in (
        ("/api/v1/me/attainment", rep),
        ("/api/v1/me/pacing?period=2026-Q1", rep),
        ("/api/v1/teams/east/attainment?period=2026-Q1", finance),
        ("/api/v1/leaderboards?measure=bookings&period=2026-Q1&by=attainment", finance),
    ):
        answer = await client.get(path, headers=who)
        assert answer.status_code == 200, (path, answer.text)
        found += [(path, *r) for r in _ratios(answer.json())]
    # rep-1's 12,845.67 of 100,000 reads the same wherever it appears.
    assert {v for _, _, v in found} >= {"0.1285"}
    assert {p for p, _, _ in found} == {
        "/api/v1/me/attainment",
        "/api/v1/me/pacing?period=2026-Q1",
        "/api/v1/teams/east/attainment?period=2026-Q1",
        "/api/v1/leaderboards?measure=bookings&period=2026-Q1&by=attainment",
    }
    wrong = [r for r in found if not (isinstance(r[2], str) and RATIO.match(r[2]))]
    assert not wrong, wrong


# Answer fields that carry money or a measured figure (ratios: RATIO_KEYS).
AMOUNTS = {
    "total",
    "amount",
    "line_amount",
    "previous_total",
    "change",
    "value",
    "quota",
    "projected",
    "expected_to_date",
    "to_go",
    "score",
    "target",
}
INPUTS = {"DealItem", "QuotaItem", "SplitItem", "HypotheticalDeal", "IngestWarning"}


def _patterns(prop: dict[str, Any]) -> set[str | None]:
    """The patterns a property's string forms carry (None for a string without one)."""
    if "pattern" in prop:  # an optional one: [string, null], the pattern beside them
        return {prop["pattern"]}
    forms = prop.get("anyOf") or prop.get("oneOf") or [prop]
    return {f.get("pattern") for f in forms if f.get("type") == "string"}


async def test_the_schema_documents_every_amount_and_ratio_with_its_pattern(
    schema: dict[str, Any],
) -> None:
    unpatterned = []
    for name, component in schema["components"]["schemas"].items():
        if name in INPUTS:
            continue
        for field, prop in component.get("properties", {}).items():
            if field in AMOUNTS and _patterns(prop) not in ({formats.DECIMAL}, set()):
                unpatterned.append(f"{name}.{field}")
            if field in RATIO_KEYS and _patterns(prop) != {formats.RATIO}:
                unpatterned.append(f"{name}.{field}")
            if field == "currency" and _patterns(prop) not in ({"^[A-Z]{3}$"}, set()):
                unpatterned.append(f"{name}.{field}")
    assert unpatterned == [], "\n".join(unpatterned)
