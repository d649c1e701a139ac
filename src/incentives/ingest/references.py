"""Resolving references to participants and teams named in ingested items."""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg

from incentives.ingest.rules import unknown_participant


class Directory:
    """Participant ids by external id; optionally also by e-mail or exact name.

    CRM exports name a deal's owner by person rather than by id, so the CSV import may
    resolve by e-mail and then by name (only when exactly one participant has it).
    """

    def __init__(self, by_ref: dict[str, int], ambiguous: set[str]) -> None:
        self._by_ref = by_ref
        self.ambiguous = ambiguous

    def get(self, ref: str | None) -> int | None:
        """The participant id for a reference, or None when unknown or ambiguous."""
        return None if ref is None else self._by_ref.get(ref)

    def why_unresolved(self, ref: str) -> str:
        """A message for a reference that did not resolve."""
        if ref in self.ambiguous:
            return f"{ref!r} names more than one participant; use the external id"
        return unknown_participant(ref)

    @classmethod
    async def load(
        cls, conn: asyncpg.Connection, refs: Iterable[str], *, by_person: bool = False
    ) -> Directory:
        """Look up all references at once."""
        wanted = sorted({r for r in refs if r})
        by_ref: dict[str, int] = {
            r["external_id"]: r["id"]
            for r in await conn.fetch(
                "SELECT id, external_id FROM participants WHERE external_id = ANY($1::text[])",
                wanted,
            )
        }
        ambiguous: set[str] = set()
        missing = [r for r in wanted if r not in by_ref]
        if by_person and missing:
            rows = await conn.fetch(
                "SELECT k.ref, array_agg(p.id ORDER BY p.id) AS ids"
                " FROM unnest($1::text[]) AS k(ref) JOIN participants p"
                " ON lower(p.email) = lower(k.ref) OR p.name = k.ref"
                " GROUP BY k.ref",
                missing,
            )
            for row in rows:
                if len(row["ids"]) == 1:
                    by_ref[row["ref"]] = row["ids"][0]
                else:
                    ambiguous.add(row["ref"])
        return cls(by_ref, ambiguous)


async def team_ids(conn: asyncpg.Connection, teams: dict[str, str]) -> dict[str, int]:
    """Ids of teams by external id, creating the ones not seen before (name as given)."""
    if not teams:
        return {}
    keys = sorted(teams)
    await conn.execute(
        "INSERT INTO teams (external_id, name) SELECT * FROM unnest($1::text[], $2::text[])"
        " ON CONFLICT (external_id) DO NOTHING",
        keys,
        [teams[k] for k in keys],
    )
    rows = await conn.fetch(
        "SELECT id, external_id FROM teams WHERE external_id = ANY($1::text[])", keys
    )
    return {r["external_id"]: r["id"] for r in rows}
