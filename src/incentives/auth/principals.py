"""Creating principals with their tokens, and finding the principal behind a token."""

from __future__ import annotations

import datetime as dt

import asyncpg
import msgspec

from incentives.audit import log as audit
from incentives.auth import token_store
from incentives.auth.roles import PARTICIPANTS
from incentives.auth.tokens import Refusal, digest
from incentives.db.models import ROLES


class Principal(msgspec.Struct, frozen=True):
    """An authenticated caller: its role and, for reps and managers, its participant."""

    id: int
    name: str
    role: str
    participant_id: int | None = None
    participant_key: str | None = None

    def actor(self) -> audit.Actor:
        """The audit identity of this principal acting through the API."""
        return audit.Actor(name=self.name, channel="api", principal_id=self.id)


class Grant(msgspec.Struct, frozen=True):
    """What a token grants: its principal, until it expires (if it does) or is revoked."""

    token_id: int
    principal: Principal
    expires_at: dt.datetime | None
    revoked: bool

    def refusal(self, now: dt.datetime) -> Refusal | None:
        """Why the token opens nothing at ``now``; None when it opens its principal."""
        if self.revoked:
            return Refusal.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return Refusal.EXPIRED
        return None


class PrincipalError(ValueError):
    """A principal that cannot be created as asked."""


async def create(
    conn: asyncpg.Connection,
    *,
    name: str,
    role: str,
    participant: str | None,
    actor: audit.Actor,
    expires_at: dt.datetime | None = None,
) -> tuple[Principal, str]:
    """Create a principal with one token (expiring at ``expires_at``, if given); returns
    it and the token (shown only now)."""
    if role not in ROLES:
        raise PrincipalError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    participant_id = None
    if participant is not None:
        participant_id = await conn.fetchval(
            "SELECT id FROM participants WHERE external_id = $1", participant
        )
        if participant_id is None:
            raise PrincipalError(f"unknown participant {participant!r}")
    elif role in PARTICIPANTS:
        raise PrincipalError(f"a {role} must be linked to a participant (--participant)")
    principal_id = await conn.fetchval(
        "INSERT INTO principals (name, role, participant_id) VALUES ($1, $2, $3) RETURNING id",
        name,
        role,
        participant_id,
    )
    info, token = await token_store.insert(conn, principal_id, expires_at=expires_at)
    principal = Principal(principal_id, name, role, participant_id, participant)
    await audit.record(
        conn,
        actor,
        "create",
        "principal",
        key=str(principal_id),
        after={
            "name": name,
            "role": role,
            "participant": participant,
            "token_prefix": info.prefix,
            **({} if info.expires_at is None else {"expires_at": info.expires_at}),
        },
    )
    return principal, token


async def by_tokens(conn: asyncpg.Connection, tokens: list[str]) -> dict[str, Grant]:
    """What these tokens grant, by token: revoked and expired ones included, so that a
    refusal can say why; a token that is unknown, or whose principal is disabled, is
    absent."""
    hashes = {digest(token): token for token in tokens}
    rows = await conn.fetch(
        "SELECT t.token_hash, t.id AS token_id, t.expires_at, t.revoked_at IS NOT NULL AS revoked,"
        " p.id, p.name, p.role, p.participant_id, pa.external_id AS participant_key"
        " FROM api_tokens t JOIN principals p ON p.id = t.principal_id"
        " LEFT JOIN participants pa ON pa.id = p.participant_id"
        " WHERE t.token_hash = ANY($1::text[]) AND p.disabled_at IS NULL",
        list(hashes),
    )
    return {
        hashes[row["token_hash"]]: Grant(
            token_id=row["token_id"],
            principal=Principal(
                row["id"], row["name"], row["role"], row["participant_id"], row["participant_key"]
            ),
            expires_at=row["expires_at"],
            revoked=row["revoked"],
        )
        for row in rows
    }
