"""Bearer-token authentication for every route not explicitly public, and role guards."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import msgspec
from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.auth import principals
from incentives.auth.principals import Grant, Principal
from incentives.auth.roles import Role
from incentives.auth.tokens import REVOKED_CHANNEL, Refusal
from incentives.background import running
from incentives.db.connection import driver_of
from incentives.db.listen import listen
from incentives.single_flight import SingleFlight

logger = logging.getLogger(__name__)
BEARER = "Bearer "
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="incentives"'}


# Tokens to what each known one grants (an unknown one is simply absent).
Lookup = Callable[[list[str]], Awaitable[dict[str, Grant]]]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class RecentTokens:
    """What recently seen tokens grant, so a burst of requests costs one lookup.

    A revoked token is forgotten as soon as its revocation is announced (``listen``), so
    it opens nothing from the next request on; while the listener is not connected, and
    for a changed role, changes take effect within ``TTL`` seconds. An expiry is checked
    against the clock on every use of an entry. A token in use
    is looked up again in the background during the last ``RENEW`` seconds of its entry,
    so that readers never wait for the database at its expiry. Renewals are gathered for
    ``GATHER`` seconds and made by one query: a hundred readers first seen together would
    otherwise renew together, a hundred queries at once, and a burst like that overflows
    the connection pool, whose extra connections (a new PostgreSQL backend each) are
    opened and closed again on the readers' time.
    """

    TTL = 5.0
    RENEW = 1.5
    GATHER = 0.05
    SIZE = 10_000
    clock = staticmethod(time.monotonic)
    # The wall clock expiries are read against.
    wall = staticmethod(_now)

    def __init__(self, lookup: Lookup) -> None:
        self._seen: dict[str, tuple[float, Grant]] = {}
        self._lookup = lookup
        self._lookups: SingleFlight[str, Grant | None] = SingleFlight()
        self._due: set[str] = set()
        self._renewal: asyncio.Task[None] | None = None
        # Tokens announced revoked: a lookup made before the revocation committed, and
        # answered after its announcement, must not bring the token back.
        self._revoked: set[int] = set()
        self.listening = False

    def _remembered(self, token: str) -> Grant | None:
        """What a token seen within the last TTL seconds grants (renewing it in the
        background when its entry nears its end)."""
        hit = self._seen.get(token)
        if hit is None:
            return None
        expires, grant = hit
        left = expires - self.clock()
        if left < 0:
            return None
        if left < self.RENEW:
            self._due.add(token)
            if self._renewal is None:
                self._renewal = asyncio.get_running_loop().create_task(self._renew_due())
        return grant

    def get(self, token: str) -> Principal | None:
        """The principal of a token seen within the last TTL seconds, if it still opens it."""
        grant = self._remembered(token)
        if grant is None or grant.refusal(self.wall()) is not None:
            return None
        return grant.principal

    async def check(self, token: str) -> Principal | Refusal:
        """The token's principal (remembered, or looked up once for concurrent asks), or
        why it opens nothing."""
        grant = self._remembered(token)
        if grant is None:
            grant = await self._lookups.fetch(token, lambda: self._fetch([token]))
        if grant is None:
            return Refusal.UNKNOWN
        return grant.refusal(self.wall()) or grant.principal

    def forget(self, token_ids: set[int]) -> None:
        """Drop the entries of these tokens (revoked): their next use looks them up."""
        if len(self._revoked) >= self.SIZE:
            self._revoked.clear()
        self._revoked |= token_ids
        for token, (_, grant) in list(self._seen.items()):
            if grant.token_id in token_ids:
                del self._seen[token]

    async def listen(self, engine: AsyncEngine) -> None:
        """Forget revoked tokens as their revocations are announced, for as long as the
        task runs (see ``db.listen``)."""
        await listen(
            engine,
            {REVOKED_CHANNEL: self._on_revoked},
            up=self._up,
            down=self._down,
            name="token listener",
        )

    def _on_revoked(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        self.forget({int(part) for part in str(payload).split(",") if part.isdigit()})

    def _up(self) -> None:
        # Revocations made while it was not listening were missed.
        self._seen.clear()
        self.listening = True

    def _down(self) -> None:
        self.listening = False

    async def _fetch(self, tokens: list[str]) -> Grant | None:
        """Look ``tokens`` up and remember the answers; what the first one grants."""
        found = await self._lookup(tokens)
        kept: dict[str, Grant] = {}
        for token in tokens:
            grant = found.get(token)
            if grant is None:
                self._seen.pop(token, None)
            else:
                kept[token] = self._put(token, grant)
        return kept.get(tokens[0])

    async def _renew_due(self) -> None:
        try:
            await asyncio.sleep(self.GATHER)
            due, self._due = sorted(self._due), set()
            await self._fetch(due)
        except Exception:  # the entries run out as usual; their next use looks them up
            logger.warning("renewing tokens' principals failed", exc_info=True)
        finally:
            self._renewal = None

    def _put(self, token: str, grant: Grant) -> Grant:
        if len(self._seen) >= self.SIZE:
            self._seen.clear()
        if grant.token_id in self._revoked and not grant.revoked:
            grant = msgspec.structs.replace(grant, revoked=True)
        self._seen[token] = (self.clock() + self.TTL, grant)
        return grant


@contextlib.asynccontextmanager
async def token_listening(app: Litestar) -> AsyncIterator[None]:
    """App lifespan: the process's token cache listens for revocations while the app runs."""
    recent: RecentTokens = app.state.tokens
    async with running(recent.listen(app.state.engine)):
        yield


def bearer_token(header: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; None for any other."""
    return header[len(BEARER) :].strip() if header.startswith(BEARER) else None


def database_lookup(engine: AsyncEngine) -> Lookup:
    """Principals looked up on ``engine``."""

    async def lookup(tokens: list[str]) -> dict[str, Grant]:
        async with engine.connect() as conn:
            return await principals.by_tokens(await driver_of(conn), tokens)

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
        principal = await recent.check(token)
        if isinstance(principal, Refusal):
            raise NotAuthorizedException(principal.value, headers=CHALLENGE)
        return AuthenticationResult(user=principal, auth=None)


class RoleGuard:
    """A guard letting only principals with one of ``allowed`` through (403 otherwise).

    It keeps its roles, so that who may call a route is read from the route itself (the
    API's description groups operations by them: see ``audiences``)."""

    def __init__(self, allowed: tuple[Role, ...]) -> None:
        self.allowed = allowed

    def __call__(self, connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        """Refuse (403) a principal whose role is not one of ``allowed``."""
        principal: Principal = connection.user
        if principal.role not in self.allowed:
            raise PermissionDeniedException(
                f"This needs the role {' or '.join(self.allowed)}; you are {principal.role}"
            )


def roles(*allowed: Role) -> RoleGuard:
    """A guard letting only principals with one of these roles through (403 otherwise)."""
    return RoleGuard(allowed)


# Route option of the reads an office display may make (its boards, periods, itself).
ON_DISPLAY = {"on_display": True}


def displays_read_boards_only(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """App-wide guard: a display opens only the routes marked ``ON_DISPLAY`` (403 on
    anything else), so an endpoint added later stays closed to screens until it is
    marked. Public routes (no principal) pass through."""
    principal = connection.scope.get("user")
    screen = isinstance(principal, Principal) and principal.role == Role.DISPLAY
    if screen and not handler.opt.get("on_display"):
        raise PermissionDeniedException("A display reads boards only")


def admitted(handler: BaseRouteHandler) -> frozenset[Role]:
    """The roles these guards let through to ``handler``: those every role guard on it
    and on its routers names (every role where there is none), a display only on routes
    marked ``ON_DISPLAY``. A handler may still find nothing for a caller to see (404)."""
    allowed = frozenset(Role)
    for layer in handler.ownership_layers:
        for guard in layer.guards or ():
            if isinstance(guard, RoleGuard):
                allowed &= frozenset(guard.allowed)
    if not handler.opt.get("on_display"):
        allowed -= {Role.DISPLAY}
    return allowed
