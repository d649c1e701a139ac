"""Period leaderboards: everyone with a commission measure in a period, ranked.

Names and ranks for everyone; figures only where the reader may see that pay (a rep
their own, a manager their reporting line, finance all), except on an office display,
which sees every row's figures on the boards marked for display and no other board
(``games/display.py``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Request, Router, get
from litestar.datastructures import State
from litestar.params import QueryParameter

from incentives.api.deps import today
from incentives.api.games import Conn
from incentives.api.paging import Limit, Offset
from incentives.api.security import ON_DISPLAY
from incentives.auth.principals import Principal
from incentives.calc.read import ratio_text
from incentives.db.connection import driver_of
from incentives.engine.money import exponent
from incentives.formats import Figure, Ratio
from incentives.games import display, live, scoring
from incentives.games.display import BoardBasis, DisplayedBoard


class PeriodRow(msgspec.Struct):
    """A place on a period leaderboard. ``value`` and ``attainment`` only where you may
    see that participant's pay: your own (and, for a manager, your reporting line's)."""

    rank: int
    participant: str
    name: str
    value: Figure | None
    attainment: Ratio | None
    unit: str


class PeriodLeaderboard(msgspec.Struct):
    """Everyone with the measure in the period, ranked."""

    measure: str
    period: str
    by: str
    participants: int
    rows: list[PeriodRow]
    me: PeriodRow | None


# Per participant, the plan where the measure counts most that period.
_MEASURES = """
SELECT DISTINCT ON (r.participant_id) r.participant_id, p.external_id, p.name, r.currency,
       (m->>'value')::numeric AS value, (m->>'attainment')::numeric AS attainment,
       (m->>'is_money')::boolean AS is_money
FROM participant_results r
JOIN participants p ON p.id = r.participant_id
CROSS JOIN jsonb_array_elements(r.measures) m
WHERE r.period = $1 AND m->>'key' = $2
ORDER BY r.participant_id, (m->>'attainment')::numeric DESC NULLS LAST,
         (m->>'value')::numeric DESC
"""


async def _period_board(
    state: State, period: str, measure: str, by: BoardBasis
) -> list[tuple[int, asyncpg.Record]]:
    async def fetch() -> list[tuple[int, asyncpg.Record]]:
        async with state.engine.connect() as sa_conn:
            rows = await (await driver_of(sa_conn)).fetch(_MEASURES, period, measure)
        by_id = {r["participant_id"]: r for r in rows}
        ranked = scoring.rank(
            (
                scoring.Standing(
                    r["participant_id"],
                    r["value"],
                    None,
                    r["attainment"] if by == BoardBasis.ATTAINMENT else r["value"],
                    None,
                )
                for r in rows
            ),
            "shared",
        )
        return [(item.rank, by_id[item.standing.subject]) for item in ranked]

    boards: live.Live = state.live
    return await boards.period_read(("period", period, measure, by.value), fetch)


def _period_row(rank: int, row: asyncpg.Record, shown: bool) -> PeriodRow:
    unit = row["currency"] if row["is_money"] else "count"
    value: Decimal = row["value"]
    if row["is_money"]:
        value = value.quantize(Decimal(1).scaleb(-exponent(unit)), rounding=ROUND_HALF_UP)
    return PeriodRow(
        rank=rank,
        participant=row["external_id"],
        name=row["name"],
        value=(f"{value:f}" if row["is_money"] else f"{value.normalize():f}") if shown else None,
        attainment=ratio_text(row["attainment"]) if shown else None,
        unit=unit,
    )


@get("/leaderboards", opt=ON_DISPLAY)
async def period_leaderboard(
    state: State,
    conn: Conn,
    request: Request[Principal, Any, Any],
    measure: Annotated[str, QueryParameter(description="a measure key of the plans: bookings")],
    period: Annotated[str, QueryParameter(description="2026-Q1, 2026-03 or 2026")],
    by: Annotated[BoardBasis, QueryParameter()] = BoardBasis.ATTAINMENT,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PeriodLeaderboard:
    """Everyone with results for a commission measure in a period, ranked by attainment or
    by value (equal figures share a rank). Names and ranks for all; figures only for
    those whose pay you may see; a display sees every row's figures on the boards marked
    for display (``INCENTIVES_DISPLAY_BOARDS``) and is refused any other (403)."""
    displayed: frozenset[DisplayedBoard] = state.display_boards
    display.check_on_display(request.user, DisplayedBoard(measure, by), displayed)
    visible = await display.figures_shown(conn, request.user, today())
    ranked = await _period_board(state, period, measure, by)

    def row(rank: int, record: asyncpg.Record) -> PeriodRow:
        shown = visible is None or record["participant_id"] in visible
        return _period_row(rank, record, shown)

    mine = request.user.participant_id
    me = next((row(r, rec) for r, rec in ranked if rec["participant_id"] == mine), None)
    return PeriodLeaderboard(
        measure=measure,
        period=period,
        by=by.value,
        participants=len(ranked),
        rows=[row(r, rec) for r, rec in ranked[offset : offset + limit]],
        me=me,
    )


class DisplayedView(msgspec.Struct):
    """A period board marked for display: a measure, ranked on attainment or value."""

    measure: str
    by: str


@get("/leaderboards/displayed", opt=ON_DISPLAY)
async def displayed_boards(state: State) -> list[DisplayedView]:
    """The period boards marked for display (``INCENTIVES_DISPLAY_BOARDS``): what an
    office screen rotates through, besides the live contests."""
    boards: frozenset[DisplayedBoard] = state.display_boards
    return [
        DisplayedView(b.measure, b.by.value)
        for b in sorted(boards, key=lambda b: (b.measure, b.by))
    ]


period_boards_router = Router(path="/api/v1", route_handlers=[period_leaderboard, displayed_boards])
