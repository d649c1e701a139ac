"""Publishing plan versions: validated, immutable, stored with their source text.

A plan file carries its own ``version``. Publishing the same content again changes
nothing; a different content under an already published version is refused, since a
published version is never edited: a change is a new version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import msgspec
import yaml

from incentives import errors
from incentives.audit import log as audit
from incentives.engine.decode import Plan, decode_plan
from incentives.engine.validate import Problem
from incentives.games import contests
from incentives.games.model import Contest
from incentives.plans.load import (
    Document,
    FileProblem,
    PlanFileError,
    decode_document,
    text_problem,
)
from incentives.plans.strict_yaml import parse_text

T = TypeVar("T")


class PublishConflict(errors.Conflict):
    """The version is already published with other content, or is not the newest."""


class PublishedVersion(msgspec.Struct):
    """A stored plan version."""

    id: int
    key: str
    version: int
    name: str
    kind: str
    content_hash: str
    effective_from: str
    effective_to: str
    published_by: str
    published_at: str
    created: bool = False


_COLUMNS = (
    "id, key, version, name, kind, content_hash, effective_from::text,"
    " effective_to::text, published_by, to_char(published_at AT TIME ZONE 'UTC',"
    ' \'YYYY-MM-DD"T"HH24:MI:SS"Z"\') AS published_at'
)


def _decode(
    source: str, name: str, decode: Callable[[Any], tuple[T | None, list[Problem]]]
) -> tuple[T, Any]:
    """Decoded plan text (YAML, or JSON when ``name`` ends in .json) and the parsed data,
    or PlanFileError naming the file, path and problem of each problem."""
    where = Path(name)
    try:
        raw = parse_text(source, where.suffix.lower() or ".yaml")
    except (yaml.YAMLError, ValueError) as exc:
        raise PlanFileError([text_problem(where, exc)]) from exc
    value, problems = decode(raw)
    if value is None or problems:
        raise PlanFileError([FileProblem(where, p.path, p.message) for p in problems])
    return value, raw


def parse(source: str, name: str) -> Plan:
    """Validate commission plan text or raise PlanFileError."""
    return _decode(source, name, decode_plan)[0]


def parse_document(source: str, name: str) -> tuple[Document, Any]:
    """Validate the text of a plan file of any kind; the document and its parsed data."""
    return _decode(source, name, decode_document)


def content_hash(source: str) -> str:
    """The SHA-256 of the source text."""
    return hashlib.sha256(source.encode()).hexdigest()


async def publish(
    conn: asyncpg.Connection, source: str, name: str, actor: audit.Actor
) -> PublishedVersion:
    """Store a new version of the plan, contest or achievement rule in ``source``
    (idempotent for identical content); a contest file also schedules its contest."""
    plan, raw = parse_document(source, name)
    digest = content_hash(source)
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('plan:' || $1))", plan.key)
    same = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM plan_versions WHERE key = $1 AND version = $2",
        plan.key,
        plan.version,
    )
    if same is not None:
        if same["content_hash"] == digest:
            return PublishedVersion(**dict(same))
        raise PublishConflict(
            f"{plan.key} version {plan.version} is already published with other content;"
            " publish a change as a new version"
        )
    newest = await conn.fetchval("SELECT max(version) FROM plan_versions WHERE key = $1", plan.key)
    if newest is not None and plan.version < newest:
        raise PublishConflict(f"{plan.key} is at version {newest}; {plan.version} is older")
    row = await conn.fetchrow(
        "INSERT INTO plan_versions (key, version, kind, name, source, source_format,"
        " content_hash, effective_from, effective_to, published_by_id, published_by)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        f" RETURNING {_COLUMNS}",
        plan.key,
        plan.version,
        plan.kind,
        plan.name,
        source,
        "json" if name.endswith(".json") else "yaml",
        digest,
        plan.effective.from_,
        plan.effective.to,
        actor.principal_id,
        actor.name,
    )
    assert row is not None
    if isinstance(plan, Contest):
        # A contest file schedules its contest (or is refused once that has gone live).
        try:
            await contests.publish_file(conn, row["id"], raw, plan, actor)
        except contests.ContestConflict as exc:
            raise PublishConflict(f"{plan.key}: {exc}") from exc
    version = PublishedVersion(**dict(row), created=True)
    await audit.record(
        conn,
        actor,
        "publish",
        "plan",
        key=f"{plan.key}@{plan.version}",
        after=msgspec.to_builtins(version),
    )
    return version


async def versions(conn: asyncpg.Connection, key: str | None = None) -> list[PublishedVersion]:
    """Published versions, newest first per key (all keys, or one)."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM plan_versions WHERE $1::text IS NULL OR key = $1"
        " ORDER BY key, version DESC",
        key,
    )
    return [PublishedVersion(**dict(r)) for r in rows]


async def in_force(
    conn: asyncpg.Connection, first: dt.date, last: dt.date
) -> list[tuple[int, Plan]]:
    """Per plan key, the newest published commission version effective within first..last."""
    rows = await conn.fetch(
        "SELECT DISTINCT ON (key) id, content_hash FROM plan_versions"
        " WHERE kind = 'commission' AND effective_from <= $2 AND effective_to >= $1"
        " ORDER BY key, version DESC",
        first,
        last,
    )
    return [(r["id"], await _parsed(conn, r["id"], r["content_hash"])) for r in rows]


# Published versions never change, so a version parsed once serves every later run.
_PARSED: dict[tuple[int, str], Plan] = {}


async def _parsed(conn: asyncpg.Connection, version_id: int, digest: str) -> Plan:
    plan = _PARSED.get((version_id, digest))
    if plan is None:
        row = await conn.fetchrow(
            "SELECT source, source_format FROM plan_versions WHERE id = $1", version_id
        )
        assert row is not None
        plan = _PARSED[(version_id, digest)] = parse(row["source"], f"plan.{row['source_format']}")
    return plan
