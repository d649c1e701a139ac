"""A user's tokens: issued with an optional expiry and label, listed without their
secrets, revoked one by one or all at once.

A revocation is announced on ``REVOKED_CHANNEL`` when its transaction commits, so that
every API process forgets the token at once rather than when its cached entry runs out
(``api/security.RecentTokens``). Each change leaves an audit entry on the principal,
naming the token by id and first characters, never by its secret.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated

import asyncpg
import msgspec

from incentives.audit import log as audit
from incentives.auth.tokens import REVOKED_CHANNEL, digest, duration, new_token, shown_prefix
from incentives.errors import InvalidField, NotFound
from incentives.instants import Instant, instant, maybe_instant

Label = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=200,
        description="What the token is for, so that it can be told apart from the user's others",
        examples=["Prometheus on ops-2"],
    ),
]
ExpiresIn = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[1-9][0-9]{0,5}[mhdw]$",
        description="How long from now the token works: minutes, hours, days or weeks",
        examples=["90d"],
    ),
]


class UserNotFound(NotFound):
    """No such user (principal)."""


class TokenNotFound(NotFound):
    """No such token."""


class TokenStatus(enum.StrEnum):
    """Whether a token opens its user now."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class TokenInfo(msgspec.Struct, kw_only=True):
    """A token as an administrator sees it: its first characters, never its secret."""

    id: int
    user: int
    prefix: str
    label: str | None
    status: TokenStatus
    created_at: Instant
    expires_at: Instant | None
    revoked_at: Instant | None


class IssuedToken(TokenInfo, kw_only=True):
    """A new token with its secret: shown this once."""

    token: str


_COLUMNS = "id, principal_id, prefix, label, created_at, expires_at, revoked_at"


def _info(row: asyncpg.Record, now: dt.datetime) -> TokenInfo:
    expires = row["expires_at"]
    status = (
        TokenStatus.REVOKED
        if row["revoked_at"] is not None
        else TokenStatus.EXPIRED
        if expires is not None and expires <= now
        else TokenStatus.ACTIVE
    )
    return TokenInfo(
        id=row["id"],
        user=row["principal_id"],
        prefix=row["prefix"],
        label=row["label"],
        status=status,
        created_at=instant(row["created_at"]),
        expires_at=maybe_instant(expires),
        revoked_at=maybe_instant(row["revoked_at"]),
    )


def expiry(
    *, expires_in: str | None, expires_at: dt.datetime | None, now: dt.datetime
) -> dt.datetime | None:
    """When a token asked for with these options expires (None: never); refused when both
    are given, the span is not one, or the moment is not in the future."""
    if expires_in is not None and expires_at is not None:
        raise InvalidField("expires_at", "give expires_in or expires_at, not both")
    if expires_in is not None:
        span = duration(expires_in)
        if span is None:
            raise InvalidField("expires_in", "must be a number and m, h, d or w, such as 90d")
        return now + span
    if expires_at is None:
        return None
    if expires_at.tzinfo is None:
        raise InvalidField("expires_at", "must carry a time zone (such as Z for UTC)")
    if expires_at <= now:
        raise InvalidField("expires_at", "must be in the future")
    return expires_at.astimezone(dt.UTC)


async def insert(
    conn: asyncpg.Connection,
    principal_id: int,
    *,
    label: str | None = None,
    expires_at: dt.datetime | None = None,
) -> tuple[TokenInfo, str]:
    """A new token of the principal, unaudited (the caller audits what it is part of);
    returns it and its secret."""
    token = new_token()
    row = await conn.fetchrow(
        "INSERT INTO api_tokens (principal_id, token_hash, prefix, label, expires_at)"
        f" VALUES ($1, $2, $3, $4, $5) RETURNING {_COLUMNS}",
        principal_id,
        digest(token),
        shown_prefix(token),
        label,
        expires_at,
    )
    assert row is not None  # an INSERT … RETURNING returns its row
    return _info(row, dt.datetime.now(dt.UTC)), token


async def _existing_user(conn: asyncpg.Connection, principal_id: int) -> None:
    if not await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM principals WHERE id = $1)", principal_id
    ):
        raise UserNotFound(f"No user {principal_id}")


async def issue(
    conn: asyncpg.Connection,
    principal_id: int,
    actor: audit.Actor,
    *,
    label: str | None = None,
    expires_at: dt.datetime | None = None,
    revoked: int = 0,
) -> IssuedToken:
    """A new token for an existing principal, audited (with how many of its tokens were
    revoked just before, if any); its secret is in the answer only."""
    await _existing_user(conn, principal_id)
    info, token = await insert(conn, principal_id, label=label, expires_at=expires_at)
    after: dict[str, object] = {"token": info.id, "token_prefix": info.prefix}
    if info.expires_at is not None:
        after["expires_at"] = info.expires_at
    if revoked:
        after["revoked_tokens"] = revoked
    await audit.record(conn, actor, "issue_token", "principal", key=str(principal_id), after=after)
    return IssuedToken(**msgspec.structs.asdict(info), token=token)


async def listing(conn: asyncpg.Connection, principal_id: int) -> list[TokenInfo]:
    """Every token of the principal, oldest first."""
    await _existing_user(conn, principal_id)
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM api_tokens WHERE principal_id = $1 ORDER BY id", principal_id
    )
    now = dt.datetime.now(dt.UTC)
    return [_info(row, now) for row in rows]


async def _revoked(
    conn: asyncpg.Connection, actor: audit.Actor, principal_id: int, rows: list[asyncpg.Record]
) -> list[TokenInfo]:
    """Audit and announce the tokens just revoked."""
    now = dt.datetime.now(dt.UTC)
    if rows:
        await audit.record(
            conn,
            actor,
            "revoke_tokens",
            "principal",
            key=str(principal_id),
            after={
                "tokens": [r["id"] for r in rows],
                "token_prefixes": [r["prefix"] for r in rows],
            },
        )
        ids = ",".join(str(r["id"]) for r in rows)
        await conn.execute("SELECT pg_notify($1, $2)", REVOKED_CHANNEL, ids)
    return [_info(row, now) for row in rows]


async def revoke(conn: asyncpg.Connection, actor: audit.Actor, token_id: int) -> TokenInfo:
    """Revoke one token (a token revoked already stays as it was); it opens nothing from
    the next request on."""
    row = await conn.fetchrow(
        f"UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL"
        f" RETURNING {_COLUMNS}",
        token_id,
    )
    if row is None:
        row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM api_tokens WHERE id = $1", token_id)
        if row is None:
            raise TokenNotFound(f"No token {token_id}")
        return _info(row, dt.datetime.now(dt.UTC))
    return (await _revoked(conn, actor, row["principal_id"], [row]))[0]


async def revoke_all(
    conn: asyncpg.Connection, actor: audit.Actor, principal_id: int
) -> list[TokenInfo]:
    """Revoke every token of the principal still unrevoked; those it revoked."""
    await _existing_user(conn, principal_id)
    rows = await conn.fetch(
        "UPDATE api_tokens SET revoked_at = now() WHERE principal_id = $1 AND revoked_at IS NULL"
        f" RETURNING {_COLUMNS}",
        principal_id,
    )
    return await _revoked(conn, actor, principal_id, sorted(rows, key=lambda r: r["id"]))
