"""Creating principals with their tokens, and finding the principal behind a token."""

from __future__ import annotations

import asyncpg
import msgspec

from incentives.audit import log as audit
from incentives.auth.roles import PARTICIPANTS
from incentives.auth.tokens import digest, new_token, shown_prefix
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


class PrincipalError(ValueError):
    """A principal that cannot be created as asked."""


async def create(
    conn: asyncpg.Connection,
    *,
    name: str,
    role: str,
    participant: str | None,
    actor: audit.Actor,
) -> tuple[Principal, str]:
    """Create a principal with one token; returns it and the token (shown only now)."""
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
    token = await _issue(conn, principal_id)
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
            "token_prefix": shown_prefix(token),
        },
    )
    return principal, token


async def _issue(conn: asyncpg.Connection, principal_id: int) -> str:
    token = new_token()
    await conn.execute(
        "INSERT INTO api_tokens (principal_id, token_hash, prefix) VALUES ($1, $2, $3)",
        principal_id,
        digest(token),
        shown_prefix(token),
    )
    return token


async def issue(
    conn: asyncpg.Connection, principal_id: int, actor: audit.Actor, *, revoked: int = 0
) -> str:
    """A new token for an existing principal, audited (with how many of its tokens were
    revoked just before, if any)."""
    token = await _issue(conn, principal_id)
    after: dict[str, object] = {"token_prefix": shown_prefix(token)}
    if revoked:
        after["revoked_tokens"] = revoked
    await audit.record(conn, actor, "issue_token", "principal", key=str(principal_id), after=after)
    return token


async def by_tokens(conn: asyncpg.Connection, tokens: list[str]) -> dict[str, Principal]:
    """The active principals holding these tokens, by token (an invalid token is absent)."""
    hashes = {digest(token): token for token in tokens}
    rows = await conn.fetch(
        "SELECT t.token_hash, p.id, p.name, p.role, p.participant_id,"
        " pa.external_id AS participant_key"
        " FROM api_tokens t JOIN principals p ON p.id = t.principal_id"
        " LEFT JOIN participants pa ON pa.id = p.participant_id"
        " WHERE t.token_hash = ANY($1::text[]) AND t.revoked_at IS NULL"
        " AND p.disabled_at IS NULL",
        list(hashes),
    )
    return {
        hashes[row["token_hash"]]: Principal(
            **{k: v for k, v in dict(row).items() if k != "token_hash"}
        )
        for row in rows
    }
