"""The OpenAPI description as a contract: every operation described, and the error
answers it can give documented with the problem-details body the API really sends."""

from __future__ import annotations

from typing import Any

from incentives.ingest.items import KINDS
from tests.api.conftest import Client, Headers

PUBLIC = {("get", "/health")}


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, item in schema["paths"].items() for m, op in item.items()]


async def test_every_operation_has_a_summary_a_description_and_tags(
    schema: dict[str, Any],
) -> None:
    operations = _operations(schema)
    assert len(operations) > 50
    for method, path, op in operations:
        where = f"{method.upper()} {path}"
        assert op.get("summary"), where
        # A sentence, not the handler's name (``MyEarnings``).
        assert " " in op["summary"], (where, op["summary"])
        assert len(op.get("description", "")) >= len(op["summary"]), where
        assert op.get("tags"), where


AUDIENCES = ["rep", "manager", "finance", "integration", "admin", "games", "public"]
# The groups whose operations each role may call: an admin's own holds only what no one
# else may call.
GROUPS = {
    "rep": {"rep"},
    "manager": {"manager"},
    "finance": {"finance"},
    "integration": {"integration"},
    "admin": {"finance", "integration", "admin"},
}


async def test_operations_are_grouped_by_the_audiences_that_may_call_them(
    schema: dict[str, Any],
) -> None:
    assert [tag["name"] for tag in schema["tags"]] == AUDIENCES
    assert all(len(tag["description"]) > 40 for tag in schema["tags"])
    for method, path, op in _operations(schema):
        assert set(op["tags"]) <= set(AUDIENCES), (method, path, op["tags"])

    def tags(method: str, path: str) -> set[str]:
        return set(schema["paths"][path][method]["tags"])

    everyone = {"rep", "manager", "finance", "integration"}
    assert tags("get", "/health") == {"public"}
    assert tags("get", "/api/v1/me/earnings") == {"rep", "manager"}
    assert tags("get", "/api/v1/participants/{participant}/earnings") == everyone
    assert tags("post", "/api/v1/statements/{statement_id}/lines/{line_no}/disputes") == {
        "rep",
        "manager",
    }
    assert tags("post", "/api/v1/ingest/deals") == tags("get", "/metrics") == {"integration"}
    assert tags("post", "/api/v1/payouts/export") == {"finance"}
    assert tags("get", "/api/v1/users/{user_id}/tokens") == {"admin"}
    assert tags("post", "/api/v1/tokens/{token_id}/revoke") == {"admin"}
    # The games' resources, and whatever an office display may read.
    assert tags("post", "/api/v1/contests") == {"manager", "finance", "games"}
    assert tags("get", "/api/v1/me/achievements") == {"rep", "manager", "games"}
    assert tags("get", "/api/v1/leaderboards") == everyone | {"games"}
    assert tags("get", "/api/v1/periods") == everyone | {"games"}


async def test_a_role_is_refused_exactly_the_reads_outside_its_groups(
    client: Client, auth: Headers, schema: dict[str, Any]
) -> None:
    """Checked on every read without path parameters, so the groups are the API's own."""
    # What the reads' required parameters are given (an unknown name fails the test).
    values = {"period": "2026-Q1", "measure": "bookings"}
    reads = [
        (
            path,
            set(op["tags"]),
            {p["name"]: "2026-Q1" for p in op.get("parameters", []) if p["required"]},
        )
        for method, path, op in _operations(schema)
        if method == "get" and "{" not in path and "public" not in op["tags"]
    ]
    assert len(reads) > 15
    for path, tags, required in reads:
        params = {name: values[name] for name in required}
        for role, groups in GROUPS.items():
            answer = await client.get(path, params=params, headers=auth[role])
            # Under /me/ a caller without pay of its own is answered 404, as documented.
            own = path.startswith("/api/v1/me/") and answer.status_code == 404
            refused = answer.status_code == 403 or own
            assert refused == (not groups & tags), (path, role, answer.status_code)


async def test_every_error_an_operation_can_give_is_documented_as_problem_details(
    schema: dict[str, Any],
) -> None:
    problem = {"$ref": "#/components/schemas/Problem"}
    for method, path, op in _operations(schema):
        where = f"{method.upper()} {path}"
        statuses = set(op["responses"])
        if (method, path) not in PUBLIC:
            assert {"401", "403", "503"} <= statuses, where
        if "{" in path:
            assert "404" in statuses, where
        if op.get("parameters") or op.get("requestBody"):
            assert "400" in statuses, where
        for status, response in op["responses"].items():
            # The health check answers its own report, 200 or 503, for orchestrators.
            if int(status) >= 400 and (method, path) not in PUBLIC:
                assert response["content"] == {"application/problem+json": {"schema": problem}}, (
                    where,
                    status,
                )
    fields = schema["components"]["schemas"]["Problem"]["properties"]
    assert {"title", "status", "errors"} <= set(fields)


async def test_the_documented_problem_is_what_a_refusal_sends(
    client: Client, auth: Headers, schema: dict[str, Any]
) -> None:
    answer = await client.get("/api/v1/statements?limit=0", headers=auth["finance"])
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    documented = schema["components"]["schemas"]
    assert set(body) <= set(documented["Problem"]["properties"])
    assert set(documented["Problem"]["required"]) <= set(body)
    [error] = body["errors"]
    assert error["field"] == "limit"
    assert set(error) <= set(documented["FieldProblem"]["properties"])
    missing = await client.get("/api/v1/statements/999999", headers=auth["finance"])
    assert missing.status_code == 404
    assert set(missing.json()) <= set(documented["Problem"]["properties"])
    unauthenticated = await client.get("/api/v1/me")
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["status"] == 401


async def test_a_body_that_may_be_left_out_is_documented_as_optional(
    client: Client, auth: Headers, schema: dict[str, Any]
) -> None:
    paths = schema["paths"]
    # {"version": 3} is optional on submit and approve; a rejection needs its reason.
    for action in ("submit", "approve"):
        assert (
            paths[f"/api/v1/statements/{{statement_id}}/{action}"]["post"]["requestBody"][
                "required"
            ]
            is False
        )
    assert paths["/api/v1/statements/{statement_id}/reject"]["post"]["requestBody"]["required"]
    assert paths["/api/v1/contests"]["post"]["requestBody"]["required"]
    # And the API does take the request without one.
    refused = await client.post("/api/v1/statements/999999/submit", headers=auth["finance"])
    assert refused.status_code == 404


async def test_refusals_a_schema_fuzzer_found_are_documented_or_gone(
    client: Client, auth: Headers, schema: dict[str, Any]
) -> None:
    # A year out of any range was a 500 (an integer overflow in the query); now a 400.
    absurd = await client.get(
        "/api/v1/periods?fiscal_year=-2041460733886181", headers=auth["finance"]
    )
    assert absurd.status_code == 400
    assert absurd.json()["errors"][0]["field"] == "fiscal_year"
    # Finance has no pay of its own: its /me reads answer 404, as documented.
    mine = await client.get("/api/v1/me/earnings", headers=auth["finance"])
    assert mine.status_code == 404
    assert "404" in schema["paths"]["/api/v1/me/earnings"]["get"]["responses"]
    # An unknown period to export is 404, as documented.
    export = await client.post("/api/v1/payouts/export?period=0", headers=auth["finance"])
    assert export.status_code == 404
    assert "404" in schema["paths"]["/api/v1/payouts/export"]["post"]["responses"]
    # Publishing a plan's very content again (or a dry run) publishes nothing: 200.
    assert {"200", "201"} <= set(schema["paths"]["/api/v1/plans"]["post"]["responses"])


async def test_an_operation_documents_the_refusals_it_can_give_and_no_other(
    client: Client, world: Headers, schema: dict[str, Any]
) -> None:
    paths = schema["paths"]
    finance = world["finance"]
    closed = await client.post("/api/v1/periods/2026-Q1/close", headers=finance)
    assert closed.status_code == 200, closed.text
    # A bulk action skips the statements it may not act on, so it never answers 409:
    # submitting twice, or approving what you submitted, lists what it did not do.
    done = []
    for action in ("submit", "submit", "approve"):
        path = f"/api/v1/periods/{{period}}/statements/{action}"
        assert "409" not in paths[path]["post"]["responses"]
        acted = await client.post(path.format(period="2026-Q1"), headers=finance)
        assert acted.status_code == 200, acted.text
        done.append(acted.json()["done"])
    assert done == [3, 0, 0]
    # An export refuses an unknown period (404) or status (422); nothing conflicts with it.
    assert set(paths["/api/v1/payouts/export"]["post"]["responses"]) & {"404", "409", "422"} == {
        "404",
        "422",
    }


async def test_a_number_too_large_for_any_id_is_refused_not_a_server_error(
    client: Client, world: Headers
) -> None:
    huge = "9" * 23
    for path, who in (
        (f"/api/v1/statements/{huge}", "finance"),
        (f"/api/v1/statements/{huge}.csv", "finance"),
        (f"/api/v1/statements/{huge}/change", "finance"),
        (f"/api/v1/disputes/{huge}", "finance"),
        (f"/api/v1/audit?before_id={huge}", "finance"),
        (f"/api/v1/calc-runs/{huge}", "finance"),
        (f"/api/v1/contests/{huge}", "finance"),
        (f"/api/v1/contests/{huge}/leaderboard", "finance"),
        (f"/api/v1/statements?offset={huge}", "finance"),
        (f"/api/v1/me/earnings/flat:2026-Q1:{huge}/explain", "rep"),
        (f"/api/v1/participants/rep-1/earnings/flat:2026-Q1:{huge}/explain", "finance"),
    ):
        answer = await client.get(path, headers=world[who])
        assert answer.status_code in (400, 404), (path, answer.status_code, answer.text)
    posted = await client.post(f"/api/v1/statements/{huge}/submit", headers=world["finance"])
    assert posted.status_code == 400


async def test_each_kind_of_ingested_item_is_its_own_operation_with_its_items_schema(
    schema: dict[str, Any], client: Client, auth: Headers
) -> None:
    paths = schema["paths"]
    assert "/api/v1/ingest/{kind}" not in paths
    components = schema["components"]["schemas"]
    for kind, item in KINDS.items():
        operation = paths[f"/api/v1/ingest/{kind}"]["post"]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body["properties"]["items"]["items"] == {
            "$ref": f"#/components/schemas/{item.__name__}"
        }
        assert body["properties"]["items"]["maxItems"] == 10_000
        assert operation["summary"] == f"Upsert a batch of {kind.replace('_', ' ')}"
        assert {"400", "401", "403", "422"} <= set(operation["responses"])
    deal = components["DealItem"]
    assert set(deal["required"]) == {
        "external_id",
        "owner",
        "amount",
        "currency",
        "close_date",
        "status",
    }
    assert deal["additionalProperties"] is False
    assert deal["properties"]["status"]["enum"] == ["cancelled", "lost", "open", "won"]
    # The documented path is served, and every bad item of a batch is still named at once.
    bad = [
        {"external_id": "P-1", "name": "Ana", "currency": "usd"},
        {"external_id": "P-2", "currency": "USD"},
    ]
    refused = await client.post(
        "/api/v1/ingest/participants", json={"items": bad}, headers=auth["integration"]
    )
    assert refused.status_code == 422
    assert [(e["item"], e["field"]) for e in refused.json()["errors"]] == [
        (0, "currency"),
        (1, "name"),
    ]
