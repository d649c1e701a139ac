"""Headers on every answer under ``/api/v1``, which may carry someone's pay: no cache or
browser keeps it (``Cache-Control: no-store``), no browser takes it for another type than
it says (``nosniff``), and none shows it in a frame or lets it load anything (a
Content-Security-Policy of nothing, unless the answer brings its own, as a statement's
printable page does for its style sheet).

They are added at the edge of the served app (``fast_reads``), to the app's answers and
to the pages answered from memory alike, errors included, so that no route can leave
them out.
"""

from __future__ import annotations

from litestar.types import Message, Send

PREFIX = "/api/v1/"
POLICY = "default-src 'none'; frame-ancestors 'none'"
_POLICY = b"content-security-policy"
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (_POLICY, POLICY.encode()),
)
_REPLACED = frozenset({b"cache-control", b"x-content-type-options"})


def secured(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` with these set: an answer's own policy is kept, its caching replaced."""
    kept = [(n, v) for n, v in headers if n.lower() not in _REPLACED]
    own_policy = any(n.lower() == _POLICY for n, _ in kept)
    return kept + [(n, v) for n, v in HEADERS if not (own_policy and n == _POLICY)]


def securing(send: Send) -> Send:
    """``send``, with the headers set on the answer's start."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = secured(list(message.get("headers", ())))
        await send(message)

    return sending
