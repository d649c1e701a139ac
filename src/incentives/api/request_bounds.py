"""What every request must be before a handler sees it: no NUL character in its path,
query or JSON body (PostgreSQL's text cannot hold one, so it would fail deep in a query),
and a JSON body nested no deeper than ``bounds.MAX_DEPTH`` (the decoder's recursion
would otherwise fail, or a deep document cost every walk over it). Each is refused with
400 naming where it is; the body's size is bounded by Litestar (413).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote

import msgspec
from litestar import Request
from litestar.enums import ScopeType
from litestar.exceptions import ClientException
from litestar.types import ASGIApp, HTTPResponseStartEvent, Receive, Scope, Send

from incentives.api.problems import PROBLEM_JSON, FieldProblem, Problem
from incentives.bounds import MAX_DEPTH

NUL = "\x00"


def _refusal(field: str, message: str) -> ClientException:
    return ClientException(f"{field}: {message}", extra=[{"key": field, "message": message}])


def _nul_in(scope: Scope) -> FieldProblem | None:
    raw_path = scope.get("raw_path") or scope["path"].encode()
    if NUL in scope["path"] or NUL in unquote(raw_path.decode("latin-1")):
        return FieldProblem("(path)", "must not hold a NUL character")
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        if NUL in name or NUL in value:
            return FieldProblem(name.replace(NUL, "") or "(query)", "must not hold a NUL character")
    return None


def refuse_nul(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: a path or query string holding NUL is answered 400 at once."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        problem = _nul_in(scope) if scope["type"] == ScopeType.HTTP else None
        if problem is None:
            await app(scope, receive, send)
            return
        body = msgspec.json.encode(
            Problem(title=f"{problem.field}: {problem.message}", status=400, errors=[problem])
        )
        headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", b"%d" % len(body))]
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": 400,
            "headers": headers,
        }
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})

    return middleware


def _where(path: str, step: str | int) -> str:
    if isinstance(step, int):
        return f"{path}[{step}]"
    return f"{path}.{step}" if path else step


def check_document(value: Any) -> None:
    """Raise a 400 naming the first place where ``value`` (decoded JSON) nests deeper
    than MAX_DEPTH or holds NUL in a key or string. Iterative, so any depth is safe."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, str):
            if NUL in node:
                raise _refusal(path or "(body)", "must not hold a NUL character")
            continue
        if not isinstance(node, (dict, list)):
            continue
        if depth >= MAX_DEPTH:
            raise _refusal(path or "(body)", f"nests deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            for key, item in node.items():
                if NUL in key:
                    raise _refusal(path or "(body)", "a key must not hold a NUL character")
                stack.append((item, _where(path, key), depth + 1))
        else:
            stack.extend((item, _where(path, i), depth + 1) for i, item in enumerate(node))


class BoundedRequest(Request[Any, Any, Any]):
    """A request whose JSON body is checked (``check_document``) once decoded."""

    async def json(self) -> Any:
        """The decoded body, or 400 if it nests too deep or holds NUL."""
        try:
            value = await super().json()
        except RecursionError:
            raise _refusal("(body)", f"nests deeper than {MAX_DEPTH} levels") from None
        check_document(value)
        return value
