"""What an office screen (a principal with the display role) is shown.

A display reads boards meant for a wall and nothing of anyone's pay:

- **contests** that are public and under way or done (live, ended with their standings
  frozen, or awarded), with every row's score and target; drafts, scheduled, cancelled and test
  contests stay hidden from it;
- **period boards** named by ``INCENTIVES_DISPLAY_BOARDS`` (``measure:by`` pairs, comma
  separated; default ``bookings:attainment``), for any period, with every row's figures.
  Any other period board is refused, since its figures would be someone's pay.

Everything else a display asks for (earnings, attainment, statements, estimates, teams)
is refused by the API before it is read.
"""

from __future__ import annotations

import datetime as dt
import enum

import asyncpg
import msgspec

from incentives import errors
from incentives.auth.access import reads_a_line, visible_at_once, visible_participants
from incentives.auth.principals import Principal
from incentives.auth.roles import Role

DEFAULT_BOARDS = "bookings:attainment"
SETTING = "INCENTIVES_DISPLAY_BOARDS"


class ContestStatus(enum.StrEnum):
    """Where a contest is in its lifecycle."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    AWARDED = "awarded"
    CANCELLED = "cancelled"


# Under way, or over with standings that no longer move: worth a place on the wall.
SHOWN_STATUSES = frozenset({ContestStatus.LIVE, ContestStatus.ENDED, ContestStatus.AWARDED})


class BoardBasis(enum.StrEnum):
    """What a period board ranks on."""

    ATTAINMENT = "attainment"
    VALUE = "value"


class DisplayedBoard(msgspec.Struct, frozen=True):
    """A period board a display may show: a measure ranked on one basis."""

    measure: str
    by: BoardBasis


class NotOnDisplay(errors.Forbidden):
    """A display asked for a period board that is not marked for display."""


def parse_boards(text: str) -> frozenset[DisplayedBoard]:
    """The boards a setting such as ``bookings:attainment,meetings:value`` names; a
    ValueError naming the setting for anything else."""
    boards = set()
    for item in filter(None, (part.strip() for part in text.split(","))):
        measure, _, by = item.partition(":")
        try:
            basis = BoardBasis(by.strip() or BoardBasis.ATTAINMENT)
        except ValueError:
            raise ValueError(
                f"{SETTING}: {item!r} must be measure:attainment or measure:value"
            ) from None
        if not measure.strip():
            raise ValueError(f"{SETTING}: {item!r} names no measure")
        boards.add(DisplayedBoard(measure.strip(), basis))
    return frozenset(boards)


def is_display(principal: Principal) -> bool:
    """Whether the principal is an office screen."""
    return principal.role == Role.DISPLAY


def shows_contest(status: str, visibility: str) -> bool:
    """Whether a display shows a contest in this status and visibility."""
    return visibility == "public" and status in SHOWN_STATUSES


def check_on_display(
    principal: Principal, board: DisplayedBoard, displayed: frozenset[DisplayedBoard]
) -> None:
    """NotOnDisplay if a display asks for a period board not marked for display (its
    figures would be someone's pay); anyone else may ask for any."""
    if is_display(principal) and board not in displayed:
        raise NotOnDisplay(f"The {board.measure} board by {board.by} is not on display")


def figures_at_once(principal: Principal) -> set[int] | None:
    """``figures_shown`` of a principal who does not read a reporting line
    (``access.reads_a_line``), known without the database."""
    return None if is_display(principal) else visible_at_once(principal)


async def figures_shown(
    conn: asyncpg.Connection, principal: Principal, day: dt.date
) -> set[int] | None:
    """Whose figures the principal sees on a board it may read, period board or contest
    (None: everyone's): a display every row's, anyone else those whose pay they may read."""
    if reads_a_line(principal):
        return await visible_participants(conn, principal, day)
    return figures_at_once(principal)
