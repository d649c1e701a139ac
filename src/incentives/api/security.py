"""Bearer-token authentication for every route not explicitly public, and role guards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.auth import principals
from incentives.auth.principals import Principal
from incentives.db.connection import driver_of

BEARER = "Bearer "
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="incentives"'}


class TokenAuthentication(AbstractAuthenticationMiddleware):
    """Resolves ``Authorization: Bearer <token>`` to a principal, or answers 401."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        if not header.startswith(BEARER):
            raise NotAuthorizedException("A bearer token is required", headers=CHALLENGE)
        engine: AsyncEngine = connection.app.state.engine
        async with engine.connect() as conn:
            token = header[len(BEARER) :].strip()
            principal = await principals.by_token(await driver_of(conn), token)
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
