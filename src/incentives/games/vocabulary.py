"""What the contests running over some dates read from deals and activities.

Ingest warns about values that only nearly match what plans name (``ingest.warnings``);
a contest scoring ``{field: product, in: [Platform]}`` names ``Platform`` as much as a
commission plan does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import asyncpg

from incentives.engine.plan import Condition
from incentives.engine.vocabulary import Vocabulary, conditions_vocabulary
from incentives.games import standings
from incentives.games.model import Contest, TotalScore

# A draft may still change and a finished contest no longer scores: only these count.
_RUNNING = ("scheduled", "live")


def _conditions(contest: Contest) -> Iterator[tuple[str, Condition]]:
    score = contest.score
    rules = [score] if isinstance(score, TotalScore) else score.per
    for rule in rules:
        if rule.where is not None:
            yield rule.source, rule.where


def contest_vocabulary(contest: Contest) -> Vocabulary:
    """The fields and tested values of the contest's score conditions."""
    return conditions_vocabulary(_conditions(contest))


async def contests_in_force(
    conn: asyncpg.Connection, first: dt.date, last: dt.date
) -> list[Contest]:
    """Scheduled and live contests whose window overlaps first..last (inclusive)."""
    rows = await conn.fetch(
        "SELECT id, key, name, status, revision, created_at, definition FROM contests"
        " WHERE status = ANY($1::text[])"
        " AND starts_on <= $3 AND ends_on >= $2",
        list(_RUNNING),
        first,
        last,
    )
    return [standings.stored(row).contest for row in rows]  # decoded once per revision
