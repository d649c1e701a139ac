"""The demo users' tokens, kept in the data folder so that a restart hands out the same ones.

A kept token that still opens its principal is reused. Otherwise (a first start, a new
database, a revoked token) the principal gets a new token and every other token it held is
revoked, so that tokens printed by earlier starts stop working instead of piling up. The
file is readable by its owner only.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import msgspec

from incentives.audit import log as audit
from incentives.auth import principals, token_store


@dataclass(frozen=True)
class DemoUser:
    """A principal the demo prints a token for."""

    label: str
    name: str
    role: str
    participant: str | None


@dataclass(frozen=True)
class Tokens:
    """A token per demo user, by label, and the labels whose token is new this time."""

    tokens: dict[str, str]
    renewed: frozenset[str]


def read_kept(path: Path | None) -> dict[str, str]:
    """The tokens kept at ``path`` (none when there is no readable file)."""
    if path is None or not path.exists():
        return {}
    try:
        kept = msgspec.json.decode(path.read_bytes(), type=dict[str, str])
    except (OSError, msgspec.DecodeError):
        return {}
    return kept


def _keep(path: Path, tokens: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(msgspec.json.encode(tokens))
    os.chmod(path, 0o600)  # an older file keeps its mode through O_CREAT


async def principal_id(conn: asyncpg.Connection, user: DemoUser, actor: audit.Actor) -> int:
    """The id of the demo user's principal, created (with a token nobody is shown) if new."""
    existing: int | None = await conn.fetchval(
        "SELECT id FROM principals WHERE name = $1 AND role = $2 AND disabled_at IS NULL",
        user.name,
        user.role,
    )
    if existing is not None:
        return existing
    principal, _ = await principals.create(
        conn, name=user.name, role=user.role, participant=user.participant, actor=actor
    )
    return principal.id


async def _opens(conn: asyncpg.Connection, token: str, owner: int) -> bool:
    grant = (await principals.by_tokens(conn, [token])).get(token)
    return (
        grant is not None
        and grant.principal.id == owner
        and grant.refusal(dt.datetime.now(dt.UTC)) is None
    )


async def ensure_tokens(
    conn: asyncpg.Connection, users: list[DemoUser], kept_at: Path | None, actor: audit.Actor
) -> Tokens:
    """A working token for each demo user: the kept one, or a new one with the rest revoked;
    kept at ``kept_at`` (if given) for the next start."""
    kept = read_kept(kept_at)
    tokens: dict[str, str] = {}
    renewed: set[str] = set()
    for user in users:
        owner = await principal_id(conn, user, actor)
        token = kept.get(user.label)
        if token is not None and await _opens(conn, token, owner):
            tokens[user.label] = token
            continue
        revoked = await token_store.revoke_all(conn, actor, owner)
        issued = await token_store.issue(conn, owner, actor, revoked=len(revoked))
        tokens[user.label] = issued.token
        renewed.add(user.label)
    if kept_at is not None and tokens != kept:
        _keep(kept_at, tokens)
    return Tokens(tokens, frozenset(renewed))
