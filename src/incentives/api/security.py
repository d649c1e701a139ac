"""Bearer-token authentication for every route not explicitly public, and role guards."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api.single_flight import SingleFlight
from incentives.auth import principals
from incentives.auth.principals import Principal
from incentives.db.connection import driver_of

BEARER = "Bearer "
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="incentives"'}


class RecentTokens:
    """Principals of recently seen tokens, so a burst of requests costs one lookup.

    A revoked token or a changed role takes effect within ``TTL`` seconds.
    """

    TTL = 5.0
    SIZE = 10_000
    clock = staticmethod(time.monotonic)

    def __init__(self) -> None:
        self._seen: dict[str, tuple[float, Principal]] = {}
        self.lookups: SingleFlight[str, Principal | None] = SingleFlight()

    def get(self, token: str) -> Principal | None:
        """The principal of a token seen within the last TTL seconds."""
        hit = self._seen.get(token)
        if hit is None or hit[0] < self.clock():
            return None
        return hit[1]

    def put(self, token: str, principal: Principal) -> None:
        """Remember a token's principal (forgetting everything when full)."""
        if len(self._seen) >= self.SIZE:
            self._seen.clear()
        self._seen[token] = (self.clock() + self.TTL, principal)


class TokenAuthentication(AbstractAuthenticationMiddleware):
    """Resolves ``Authorization: Bearer <token>`` to a principal, or answers 401."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        if not header.startswith(BEARER):
            raise NotAuthorizedException("A bearer token is required", headers=CHALLENGE)
        token = header[len(BEARER) :].strip()
        recent: RecentTokens = connection.app.state.tokens
        principal = recent.get(token)
        if principal is None:
            engine: AsyncEngine = connection.app.state.engine

            async def lookup() -> Principal | None:
                async with engine.connect() as conn:
                    return await principals.by_token(await driver_of(conn), token)

            principal = await recent.lookups.fetch(token, lookup)
            if principal is not None:
                recent.put(token, principal)
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
