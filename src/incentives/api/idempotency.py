"""``Idempotency-Key`` for requests that move money: the same key never acts twice.

The first request with a key acts, and its response is kept with the key. A retry with the
same key and the same request (method, path, query and body) replays that response, marked
``Idempotent-Replayed: true``, and acts no more; the same key with another request is
refused (422). Keys belong to the caller, so two callers may happen to use the same one.
A key lives ``INCENTIVES_IDEMPOTENCY_HOURS`` (24 by default): after that it is forgotten
and acts again (``idempotency_keys.py``), and the scheduler purges it.

The key's row is inserted before the request acts, in the request's own transaction. A
concurrent duplicate therefore waits on the row's unique index until the first commits,
then replays its response. A request that fails rolls its key back with everything else,
so it may be retried with the same key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import ClientException
from litestar.params import HeaderParameter

from incentives.auth.principals import Principal
from incentives.db.connection import driver_transaction
from incentives.idempotency_keys import forget_expired

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255

T = TypeVar("T")

# Declared by each handler that takes a key, so that the OpenAPI docs show it.
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name=HEADER,
        description="Replays the first response for a retry with the same key; never acts twice",
    ),
]


def _checked(key: str | None) -> str | None:
    if key is None:
        return None
    if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        message = f"1 to {MAX_KEY_LENGTH} printable ASCII characters"
        raise ClientException(
            f"{HEADER} must be {message}", extra=[{"key": HEADER, "message": message}]
        )
    return key


async def _fingerprint(request: Request[Principal, Any, Any]) -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.url.path, request.url.query or ""):
        digest.update(part.encode())
        digest.update(b"\n")
    digest.update(await request.body())
    return digest.hexdigest()


async def once(
    request: Request[Principal, Any, Any],
    key: str | None,
    act: Callable[[asyncpg.Connection], Awaitable[T]],
    result_type: type[T],
    *,
    status_code: int = 200,
) -> Response[T]:
    """Run ``act`` in one transaction, at most once per idempotency ``key`` of the caller.

    ``act`` gets the transaction's connection and returns the response body; without a
    key it simply runs.
    """
    key = _checked(key)
    async with driver_transaction(request.app.state.engine) as conn:
        if key is None:
            return Response(await act(conn), status_code=status_code)
        principal = request.user
        fingerprint = await _fingerprint(request)
        await forget_expired(conn, principal.id, key, request.app.state.idempotency_hours)
        claimed = await conn.fetchval(
            "INSERT INTO idempotency_keys (principal_id, key, method, path, fingerprint)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (principal_id, key) DO NOTHING"
            " RETURNING id",
            principal.id,
            key,
            request.method,
            request.url.path,
            fingerprint,
        )
        if claimed is None:
            return await _replay(conn, principal, key, fingerprint, result_type)
        result = await act(conn)
        await conn.execute(
            "UPDATE idempotency_keys SET response_status = $2, response_body = $3::text::jsonb"
            " WHERE id = $1",
            claimed,
            status_code,
            msgspec.json.encode(result).decode(),
        )
        return Response(result, status_code=status_code)


async def _replay(
    conn: asyncpg.Connection, principal: Principal, key: str, fingerprint: str, result_type: type[T]
) -> Response[T]:
    stored = await conn.fetchrow(
        "SELECT fingerprint, response_status, response_body::text AS body FROM idempotency_keys"
        " WHERE principal_id = $1 AND key = $2",
        principal.id,
        key,
    )
    # Expired keys were forgotten before the INSERT, which just met this one in force.
    assert stored is not None
    if stored["fingerprint"] != fingerprint:
        message = "this key was used for another request; use a new key for a new request"
        raise ClientException(
            f"{HEADER} already used for another request",
            status_code=422,
            extra=[{"key": HEADER, "message": message}],
        )
    return Response(
        msgspec.json.decode(stored["body"], type=result_type),
        status_code=stored["response_status"],
        headers={REPLAYED: "true"},
    )
