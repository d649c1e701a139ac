"""What a failed database call means for its caller: the database refused to change
what is final, or it is away (unreachable, or not answering in time).

Everything else is a defect and stays one. An outage is logged once per episode
(``Outage``): its first failure says so, the failures after it are quiet, and the first
health check or listening connection (``db/listen.py``, retrying each second) to reach
the database again says it is over.
"""

from __future__ import annotations

import enum
import errno
import logging
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType

import asyncpg
from sqlalchemy import exc as sa_exc

logger = logging.getLogger(__name__)

# The SQLSTATE of every trigger refusing to change what is final (a closed period, its
# statements, the deals it paid for, the audit log, published plans): see migration 0012.
SEALED = "IC001"

# Server answers that say it cannot serve now rather than that the request is wrong: a
# statement or lock timeout, a shutdown or start-up, too many connections.
_AWAY_STATES = frozenset({"57014", "55P03", "57P01", "57P02", "57P03", "53300"})
_AWAY_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ETIMEDOUT,
        errno.EPIPE,
        errno.ENOENT,  # the server's Unix socket is gone
    }
)

# Seconds a client is told to wait before retrying while the database is away.
RETRY_AFTER = 5


class Fault(enum.Enum):
    """How a failed database call is answered."""

    SEALED = enum.auto()  # a trigger refused to change what is final: a conflict
    UNAVAILABLE = enum.auto()  # the database is away: retry later


@dataclass(frozen=True)
class Failure:
    """A classified database failure and what to say about it."""

    fault: Fault
    message: str


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what SQLAlchemy wraps (``orig``) and its causes."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for linked in (getattr(current, "orig", None), current.__cause__, current.__context__):
            if isinstance(linked, BaseException):
                pending.append(linked)


def _raised_by_driver(tb: TracebackType | None) -> bool:
    """Whether a traceback passes through asyncpg: an OS error from anywhere else (a
    file, a webhook's receiver) is not the database's."""
    while tb is not None:
        if str(tb.tb_frame.f_globals.get("__name__", "")).startswith("asyncpg"):
            return True
        tb = tb.tb_next
    return False


def _away(exc: BaseException) -> bool:
    if isinstance(exc, asyncpg.PostgresError):
        state = getattr(exc, "sqlstate", "") or ""
        return state in _AWAY_STATES or state.startswith("08")
    if isinstance(exc, asyncpg.PostgresConnectionError | asyncpg.ConnectionDoesNotExistError):
        return True
    if isinstance(exc, asyncpg.InterfaceError) and "connection is closed" in str(exc):
        return True
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection came free in time
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, TimeoutError | socket.gaierror):
        return _raised_by_driver(exc.__traceback__)
    if isinstance(exc, OSError) and exc.errno in _AWAY_ERRNOS:
        return _raised_by_driver(exc.__traceback__)
    return False


def classify(exc: BaseException) -> Failure | None:
    """What ``exc`` says about the database, or None when it is no database fault."""
    for link in _chain(exc):
        if isinstance(link, asyncpg.PostgresError) and link.sqlstate == SEALED:
            return Failure(Fault.SEALED, str(link))
    for link in _chain(exc):
        if _away(link):
            return Failure(Fault.UNAVAILABLE, f"{type(link).__name__}: {link}".strip(": "))
    return None


class Outage:
    """One log line when the database goes away, one when it is back, none between."""

    clock = staticmethod(time.monotonic)

    def __init__(self) -> None:
        self._since: float | None = None

    @property
    def ongoing(self) -> bool:
        """Whether the last database call failed for want of the database."""
        return self._since is not None

    def failed(self, failure: Failure) -> None:
        """A call found the database away: say so if it is news."""
        if self._since is None:
            self._since = self.clock()
            logger.warning(
                "database unavailable (%s); answering 503 until it is back", failure.message
            )

    def back(self) -> None:
        """A call reached the database: end the episode, if one is going on."""
        if self._since is not None:
            lasted = self.clock() - self._since
            self._since = None
            logger.warning("database reachable again after %.0f s", lasted)


# The process's database: requests, the health check and the listening connections
# report to it, so that an outage is told once however many of them meet it.
OUTAGE = Outage()
