"""The docs' examples, recorded on the demo: one for every operation's request body and
success answer, each valid for its operation's schema read as closed (so that a field
renamed or dropped since the recording fails here), and none holding a token."""

from __future__ import annotations

import copy
from typing import Any

from incentives.api.examples import NAME, Example, Recorded, recorded
from incentives.api.examples.check import problems, secrets_in
from incentives.api.examples.record import cut, first_event, head
from incentives.auth.tokens import new_token


async def test_every_operation_has_examples_that_fit_it(schema: dict[str, Any]) -> None:
    assert problems(schema, recorded()) == []


async def test_the_served_description_carries_them(schema: dict[str, Any]) -> None:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            body = operation.get("requestBody")
            if body is not None:
                assert all(NAME in m.get("examples", {}) for m in body["content"].values()), where
            shown = [
                media["examples"][NAME]
                for status, answer in operation["responses"].items()
                if 200 <= int(status) < 300
                for media in answer.get("content", {}).values()
                if NAME in media.get("examples", {})
            ]
            successes = [a for s, a in operation["responses"].items() if 200 <= int(s) < 300]
            if not any(answer.get("content") for answer in successes):
                assert shown == [], where  # a 204: nothing to show
                continue
            assert len(shown) == 1, where
            assert shown[0]["summary"], where
    me = schema["paths"]["/api/v1/me"]["get"]["responses"]["200"]["content"]["application/json"]
    assert me["examples"][NAME] == {
        "summary": "The demo's rep: GET /api/v1/me",
        "value": recorded().operations["GET /api/v1/me"].answer,
    }


def _changed(key: str, **changes: Any) -> Recorded:
    examples = copy.deepcopy(recorded())
    example = examples.operations[key]
    for field, value in changes.items():
        setattr(example, field, value)
    return examples


async def test_an_example_that_no_longer_fits_is_named(schema: dict[str, Any]) -> None:
    me = recorded().operations["GET /api/v1/me"].answer
    without_role = {k: v for k, v in me.items() if k != "role"}
    [missing] = problems(schema, _changed("GET /api/v1/me", answer=without_role))
    assert missing.startswith("GET /api/v1/me answer at /:") and "role" in missing
    [unknown] = problems(schema, _changed("GET /api/v1/me", answer={**me, "team": "east"}))
    assert unknown.startswith("GET /api/v1/me answer at /:") and "team" in unknown
    year = {"fiscal_year": "2027"}
    [wrong] = problems(schema, _changed("POST /api/v1/periods/generate", request=year))
    assert wrong.startswith("POST /api/v1/periods/generate request at /fiscal_year:")
    assert problems(schema, _changed("GET /api/v1/me", status=201)) == [
        "GET /api/v1/me: 201 is no success it documents"
    ]
    assert problems(schema, _changed("GET /api/v1/me", request={"name": "x"})) == [
        "GET /api/v1/me: a request example, but the operation takes no body"
    ]
    gone = copy.deepcopy(recorded())
    moved = gone.operations.pop("GET /api/v1/teams")
    gone.operations["GET /api/v1/squads"] = moved
    assert problems(schema, gone) == [
        "GET /api/v1/teams: no example",
        "GET /api/v1/squads: no such operation",
    ]


def test_no_example_holds_a_token() -> None:
    assert secrets_in(recorded()) == []
    leaked = copy.deepcopy(recorded())
    leaked.operations["GET /api/v1/me"].answer = {"name": f"Rita ({new_token()})"}
    assert secrets_in(leaked) == ["GET /api/v1/me"]


def test_answers_are_cut_to_their_first_items_and_lines() -> None:
    assert cut({"rows": [1, 2, 3], "me": {"steps": [[1, 2, 3], [4], [5]]}}) == {
        "rows": [1, 2],
        "me": {"steps": [[1, 2], [4]]},
    }
    text = "# HELP a\n# TYPE a\na 1\n# HELP b\n# TYPE b\nb 1\nb 2\n"
    assert head(text) == "# HELP a\n# TYPE a\na 1\n"
    assert head(text, "# HELP b") == "# HELP b\n# TYPE b\nb 1\n"
    event = ["event: leaderboard", 'data: {"rows": [1, 2, 3]}']
    assert first_event(event) == {"event": "leaderboard", "data": '{"rows":[1,2]}'}


def test_an_example_is_titled_by_who_asked_what() -> None:
    csv = Example(who="finance", asked="GET /x", status=200, media_type="text/csv", answer="")
    assert csv.summary() == "The demo's finance: GET /x"
    health = Example(who=None, asked="GET /health", status=200, media_type="text/plain", answer="")
    assert health.summary() == "Without a token: GET /health"
