"""What the commission plans and contests in force over some dates name, for ingest.

Ingest cannot import this package (``plans`` depends on ``games``, which depends on
ingest), so the API route and the CLI hand ``vocabularies_in_force`` to ``ingest()``.
"""

from __future__ import annotations

import datetime as dt

import asyncpg

from incentives.engine.plan import Effective
from incentives.engine.vocabulary import Vocabulary, plan_vocabulary
from incentives.games.vocabulary import contest_vocabulary, contests_in_force
from incentives.plans.publish import in_force


async def vocabularies_in_force(
    conn: asyncpg.Connection, first: dt.date, last: dt.date
) -> list[tuple[Effective, Vocabulary]]:
    """Per commission plan and running contest in force within first..last: the days it
    covers and what its conditions read."""
    found = [
        (plan.effective, plan_vocabulary(plan)) for _, plan in await in_force(conn, first, last)
    ]
    found += [(c.window, contest_vocabulary(c)) for c in await contests_in_force(conn, first, last)]
    return found
