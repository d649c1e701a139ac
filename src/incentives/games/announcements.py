"""What the games announce by webhook: awards granted and contests awarded.

Participants are named by their external id (the CRM's), as everywhere outside the
database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import asyncpg
import msgspec

from incentives.webhooks import events
from incentives.webhooks.events import EventType


class Granted(msgspec.Struct, frozen=True):
    """An award as announced: to whom, what, from which source (a contest or an
    achievement) and on what occasion."""

    participant: int
    name: str
    points: int
    badge: str | None
    source: str
    source_key: str
    occasion: str


async def _external_ids(conn: asyncpg.Connection, ids: Iterable[int]) -> dict[int, str]:
    rows = await conn.fetch(
        "SELECT id, external_id FROM participants WHERE id = ANY($1::bigint[])", list(set(ids))
    )
    return {r["id"]: r["external_id"] for r in rows}


async def awards_granted(conn: asyncpg.Connection, granted: Sequence[Granted]) -> None:
    """Announce each award granted in the caller's transaction."""
    if not granted:
        return
    names = await _external_ids(conn, (g.participant for g in granted))
    await events.announce(
        conn,
        EventType.AWARD_GRANTED,
        [{**msgspec.structs.asdict(g), "participant": names[g.participant]} for g in granted],
    )


async def contest_awarded(
    conn: asyncpg.Connection,
    contest: dict[str, object],
    winners: Sequence[tuple[int, str, int]],
) -> None:
    """Announce a contest's award: ``winners`` are (participant, prize, rank)."""
    names = await _external_ids(conn, (w[0] for w in winners))
    await events.announce(
        conn,
        EventType.CONTEST_AWARDED,
        [
            {
                **contest,
                "winners": [
                    {"participant": names[p], "prize": prize, "rank": rank}
                    for p, prize, rank in winners
                ],
            }
        ],
    )
