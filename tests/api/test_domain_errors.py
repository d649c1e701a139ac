"""A domain's refusal is answered in one place (``api/problems.py``): its kind gives the
status, and the body is problem details naming each refused field. No route handler
catches one to answer it by hand."""

from __future__ import annotations

import ast
import importlib
from importlib.util import resolve_name
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import httpx
import pytest
from litestar import get
from sqlalchemy.ext.asyncio import AsyncEngine

import incentives.api
from incentives.api.app import create_app
from incentives.errors import DomainError, FieldError, Kind
from tests.api.conftest import Headers

STATUS = {Kind.NOT_FOUND: 404, Kind.CONFLICT: 409, Kind.INVALID: 422, Kind.FORBIDDEN: 403}
API = Path(incentives.api.__file__).parent


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


def _leaves(cls: type[DomainError]) -> list[type[DomainError]]:
    below = cls.__subclasses__()
    return [leaf for sub in below for leaf in _leaves(sub)] if below else [cls]


def test_every_domain_error_that_can_be_raised_has_a_kind() -> None:
    # Importing the app (above) imported every domain it serves.
    leaves = _leaves(DomainError)
    assert len(leaves) > 10
    for leaf in leaves:
        assert isinstance(getattr(leaf, "kind", None), Kind), leaf


def _bound(module: ModuleType, tree: ast.AST) -> dict[str, object]:
    """What each name in a module's code stands for: its globals, and what every import
    in it binds (one inside a function too)."""
    names = dict(vars(module))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = resolve_name("." * node.level + (node.module or ""), module.__package__)
            source = importlib.import_module(base)
            for alias in node.names:
                bound = getattr(source, alias.name, None)
                if bound is None:
                    bound = importlib.import_module(f"{base}.{alias.name}")
                names[alias.asname or alias.name] = bound
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:  # import a.b as c: c is a.b
                    names[alias.asname] = importlib.import_module(alias.name)
                else:  # import a.b: a is bound
                    top = alias.name.partition(".")[0]
                    names[top] = importlib.import_module(top)
    return names


def _resolved(names: dict[str, object], expression: ast.expr) -> object:
    if isinstance(expression, ast.Name):
        return names.get(expression.id)
    if isinstance(expression, ast.Attribute):
        return getattr(_resolved(names, expression.value), expression.attr, None)
    return None


def _is_domain_error(caught: object) -> bool:
    if isinstance(caught, tuple):
        return any(_is_domain_error(c) for c in caught)
    return isinstance(caught, type) and issubclass(caught, DomainError)


def _caught_by_hand(module: ModuleType, source: str) -> list[str]:
    """Each ``except`` in ``source`` (the code of ``module``) naming a domain error."""
    tree = ast.parse(source)
    names = _bound(module, tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ExceptHandler) or node.type is None:
            continue
        caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
        for expression in caught:
            if _is_domain_error(_resolved(names, expression)):
                found.append(f"{module.__name__}:{node.lineno}: except {ast.unparse(expression)}")
    return found


def test_the_check_sees_a_domain_error_caught_by_hand() -> None:
    payouts = importlib.import_module("incentives.api.payouts")
    source = """
try:
    pass
except (KeyError, workflow.WorkflowError):
    pass


def late() -> None:
    from incentives.calc import estimate as pricing
    from incentives.periods.close import CloseRefused

    try:
        pass
    except pricing.EstimateError:
        pass
    except CloseRefused:
        pass
"""
    assert _caught_by_hand(payouts, source) == [
        "incentives.api.payouts:4: except workflow.WorkflowError",
        "incentives.api.payouts:14: except pricing.EstimateError",
        "incentives.api.payouts:16: except CloseRefused",
    ]


def test_no_route_handler_module_catches_a_domain_error_by_hand() -> None:
    found = []
    for path in sorted(API.rglob("*.py")):
        dotted = ".".join(path.relative_to(API.parent).with_suffix("").parts)
        module = importlib.import_module(f"incentives.{dotted}".removesuffix(".__init__"))
        found += _caught_by_hand(module, path.read_text(encoding="utf-8"))
    # A domain error is answered by api/problems.domain_error, once, for every route.
    assert found == []
