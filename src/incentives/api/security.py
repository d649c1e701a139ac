"""Bearer-token authentication for every route not explicitly public, and role guards."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.auth import principals
from incentives.auth.principals import Principal
from incentives.db.connection import driver_of
from incentives.single_flight import SingleFlight

logger = logging.getLogger(__name__)
BEARER = "Bearer "
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="incentives"'}


Lookup = Callable[[str], Awaitable[Principal | None]]


class RecentTokens:
    """Principals of recently seen tokens, so a burst of requests costs one lookup.

    A revoked token or a changed role takes effect within ``TTL`` seconds. A token in use
    is looked up again in the background during the last ``RENEW`` seconds of its entry,
    so that readers never wait for the database at its expiry; entries last a little
    less than ``TTL`` at random, so that tokens first seen together are not renewed
    together.
    """

    TTL = 5.0
    RENEW = 1.5
    SIZE = 10_000
    clock = staticmethod(time.monotonic)

    def __init__(self, lookup: Lookup) -> None:
        self._seen: dict[str, tuple[float, Principal]] = {}
        self._lookup = lookup
        self._lookups: SingleFlight[str, Principal | None] = SingleFlight()
        self._renewing: dict[str, asyncio.Task[None]] = {}

    def get(self, token: str) -> Principal | None:
        """The principal of a token seen within the last TTL seconds (renewing it in the
        background when its entry nears its end)."""
        hit = self._seen.get(token)
        if hit is None:
            return None
        expires, principal = hit
        left = expires - self.clock()
        if left < 0:
            return None
        if left < self.RENEW and token not in self._renewing:
            task = asyncio.get_running_loop().create_task(self._renew(token))
            self._renewing[token] = task
            task.add_done_callback(lambda _: self._renewing.pop(token, None))
        return principal

    async def resolve(self, token: str) -> Principal | None:
        """The token's principal: remembered, or looked up (once for concurrent asks)."""
        principal = self.get(token)
        if principal is None:
            principal = await self._fetch(token)
        return principal

    async def _fetch(self, token: str) -> Principal | None:
        principal = await self._lookups.fetch(token, lambda: self._lookup(token))
        if principal is None:
            self._seen.pop(token, None)
        else:
            self._put(token, principal)
        return principal

    async def _renew(self, token: str) -> None:
        try:
            await self._fetch(token)
        except Exception:  # the entry runs out as usual; the next use looks it up
            logger.warning("renewing a token's principal failed", exc_info=True)

    def _put(self, token: str, principal: Principal) -> None:
        if len(self._seen) >= self.SIZE:
            self._seen.clear()
        spread = self.TTL * 0.2 * random.random()  # noqa: S311 - spreading, not secrecy
        self._seen[token] = (self.clock() + self.TTL - spread, principal)


def bearer_token(header: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; None for any other."""
    return header[len(BEARER) :].strip() if header.startswith(BEARER) else None


def database_lookup(engine: AsyncEngine) -> Lookup:
    """Principals looked up on ``engine``."""

    async def lookup(token: str) -> Principal | None:
        async with engine.connect() as conn:
            return await principals.by_token(await driver_of(conn), token)

    return lookup


class TokenAuthentication(AbstractAuthenticationMiddleware):
    """Resolves ``Authorization: Bearer <token>`` to a principal, or answers 401."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        token = bearer_token(connection.headers.get("authorization", ""))
        if token is None:
            raise NotAuthorizedException("A bearer token is required", headers=CHALLENGE)
        recent: RecentTokens = connection.app.state.tokens
        principal = await recent.resolve(token)
        if principal is None:
            raise NotAuthorizedException("The bearer token is not valid", headers=CHALLENGE)
        return AuthenticationResult(user=principal, auth=None)


Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


def roles(*allowed: str) -> Guard:
    """A guard letting only principals with one of these roles through (403 otherwise)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal: Principal = connection.user
        if principal.role not in allowed:
            raise PermissionDeniedException(
                f"This needs the role {' or '.join(allowed)}; you are {principal.role}"
            )

    return guard
