"""A log line per request, in JSON log format only (``INCENTIVES_LOG_FORMAT=json``).

Each line carries the request id (the caller's ``X-Request-ID`` when it sends a usable
one, else a new one; returned in the answer's ``X-Request-ID``), the principal who made
it (its id and role; never the token), the method, the path, the status and the latency
in milliseconds. In text format there is no such line: writing it costs more than most
requests do, and the log collectors that want one per request read JSON.

Pages the fast path answers from its copy (``api/fast_reads.py``: a rep's own kept
attainment and earnings) never reach the app, so they are not logged either.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from incentives.auth.principals import Principal
from incentives.logs import LogFormat

LOG = logging.getLogger("incentives.requests")
HEADER = b"x-request-id"
# An id a caller may choose: short and printable, so that it cannot break a log line.
_USABLE = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


def with_request_log(app: ASGIApp, log_format: LogFormat) -> ASGIApp:
    """``app`` as served in ``log_format``: behind ``RequestLog`` in JSON format."""
    return RequestLog(app) if log_format is LogFormat.JSON else app


def request_id(scope: Scope) -> str:
    """The caller's request id if usable, else a new one."""
    for name, value in scope.get("headers", ()):
        if name == HEADER and _USABLE.fullmatch(value):
            return value.decode()
    return uuid.uuid4().hex


class RequestLog:
    """ASGI middleware around the served app (``api/fast_reads.py`` finds the fast path
    through its ``app``), writing the line once the answer has gone or the app failed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = request_id(scope)
        status = 500

        async def answering(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (HEADER, rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, answering)
        finally:
            LOG.info("request", extra=_fields(scope, rid, status, started))


def _fields(scope: HTTPScope, rid: str, status: int, started: float) -> dict[str, Any]:
    user = scope.get("user")
    principal = user if isinstance(user, Principal) else None
    return {
        "request_id": rid,
        "user": None if principal is None else principal.id,
        "role": None if principal is None else principal.role,
        "method": scope["method"],
        "path": scope["path"],
        "status": status,
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
    }
