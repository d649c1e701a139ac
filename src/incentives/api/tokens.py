"""API users' bearer tokens (admin only): list a user's, issue one, revoke one.

A token's secret is in the answer that issues it and nowhere else; listings show its
first characters. A revoked token opens nothing from the next request on, in every API
process (``auth/token_store``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg
import msgspec
from litestar import Request, Router, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody

from incentives.api.contract import problems
from incentives.api.deps import Id
from incentives.api.security import RecentTokens, roles
from incentives.auth import token_store
from incentives.auth.principals import Principal
from incentives.auth.roles import Role
from incentives.auth.token_store import ExpiresIn, IssuedToken, Label, TokenInfo
from incentives.db.connection import driver_transaction

ADMIN = roles(Role.ADMIN)


class NewToken(msgspec.Struct, forbid_unknown_fields=True):
    """What the token is for and when it stops working (give at most one of
    ``expires_in`` and ``expires_at``; neither: it works until revoked)."""

    label: Label | None = None
    expires_in: ExpiresIn | None = None
    expires_at: dt.datetime | None = None


@get("/users/{user_id:int}/tokens", guards=[ADMIN])
async def list_tokens(conn: NamedDependency[asyncpg.Connection], user_id: Id) -> list[TokenInfo]:
    """A user's tokens, oldest first, with their expiry and whether they were revoked
    (never their secrets)."""
    return await token_store.listing(conn, user_id)


@post("/users/{user_id:int}/tokens", status_code=201, responses=problems(422), guards=[ADMIN])
async def issue_token(
    state: State, request: Request[Principal, Any, Any], user_id: Id, data: JSONBody[NewToken]
) -> IssuedToken:
    """Issue a user a new token (201); the answer carries its secret, shown once."""
    expires_at = token_store.expiry(
        expires_in=data.expires_in, expires_at=data.expires_at, now=dt.datetime.now(dt.UTC)
    )
    async with driver_transaction(state.engine) as conn:
        return await token_store.issue(
            conn, user_id, request.user.actor(), label=data.label, expires_at=expires_at
        )


@post("/tokens/{token_id:int}/revoke", status_code=200, guards=[ADMIN])
async def revoke_token(
    state: State, request: Request[Principal, Any, Any], token_id: Id
) -> TokenInfo:
    """Revoke a token: it opens nothing from the next request on, and its open event
    streams end within seconds. Revoking a revoked token changes nothing."""
    async with driver_transaction(state.engine) as conn:
        revoked = await token_store.revoke(conn, request.user.actor(), token_id)
    # This process at once; the others when the revocation's announcement reaches them.
    recent: RecentTokens = state.tokens
    recent.forget({revoked.id})
    return revoked


# Guards on each handler, not the router: see webhooks_router.
tokens_router = Router(path="/api/v1", route_handlers=[list_tokens, issue_token, revoke_token])
