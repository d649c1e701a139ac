"""Settings read from the environment (``INCENTIVES_*``), documented in README.md."""

from __future__ import annotations

import datetime as dt
import enum
import os
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import msgspec

from incentives.logs import LogFormat, LogLevel

E = TypeVar("E", bound=enum.StrEnum)

# Seconds a webhook delivery waits before each retry: within a minute for a blip, over
# two days in all for an outage; then it is failed (and can be replayed).
RETRIES = (5.0, 30.0, 120.0, 600.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 43200.0, 86400.0)
# A run's lease: long enough that a busy process never misses five beats in a row, short
# enough that a killed one's work is marked abandoned (and taken up) within the minute.
LEASE_SECONDS = 30.0


class Timeouts(msgspec.Struct, frozen=True):
    """Seconds to wait for the database: to connect, for a statement, and for a
    statement of the long work that allows itself more (``db.connection.allow_long``)."""

    connect: float = 5.0
    statement: float = 30.0
    long_statement: float = 1800.0


WAITS = Timeouts()


class Settings(msgspec.Struct, frozen=True):
    """Process configuration. Every field comes from an environment variable."""

    database_url: str | None
    data_dir: Path
    host: str
    port: int
    workers: int = 1
    # Four-eyes rule: whoever submits a statement for approval may not approve it.
    four_eyes: bool = True
    # The scheduler: closing periods and the nightly recompute (see scheduler.py).
    scheduler: bool = True
    timezone: str = "UTC"
    close_grace_days: int = 5
    close_check_minutes: int = 15
    recompute_at: dt.time = dt.time(2, 0)
    # Log lines as text or JSON objects, and the least severe logged (see logs.py).
    log_format: LogFormat = LogFormat.TEXT
    log_level: LogLevel = LogLevel.INFO
    # Period boards an office display shows with every row's figures (games/display.py).
    display_boards: str = "bookings:attainment"
    # Seconds a webhook delivery waits before each retry (webhooks/sender.py).
    webhook_retries: tuple[float, ...] = RETRIES
    # Contests' cash prizes, in each contest's currency: the largest allowed, and the
    # largest a manager's contest offers without finance's approval (games/approvals.py).
    contest_max_prize: Decimal = Decimal(10000)
    contest_approval_above: Decimal = Decimal(1000)
    # Seconds to wait for the database: to connect, per statement, per statement of a
    # calculation run, import or close (db/connection.py).
    db_timeouts: Timeouts = WAITS
    # Hours an idempotency key and its kept response live (api/idempotency.py).
    idempotency_hours: int = 24
    # Seconds a running calculation or job slot stays so without its owner's heartbeat
    # (db/leases.py): a killed process's work is marked abandoned within 1.5 times this.
    lease_seconds: float = LEASE_SECONDS
    # The estimator, per user: requests a minute (429 beyond), and the time one may take.
    estimates_per_minute: int = 30
    estimate_budget_ms: int = 2000


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read settings from the environment (or the mapping given, for tests)."""
    env = dict(os.environ) if environ is None else environ
    return Settings(
        database_url=env.get("INCENTIVES_DATABASE_URL") or None,
        data_dir=Path(env.get("INCENTIVES_DATA_DIR", "var")).resolve(),
        host=env.get("INCENTIVES_HOST", "127.0.0.1"),
        port=int(env.get("INCENTIVES_PORT", "8000")),
        workers=int(env.get("INCENTIVES_WORKERS", "1")),
        four_eyes=_switch(env.get("INCENTIVES_FOUR_EYES", "on"), "INCENTIVES_FOUR_EYES"),
        scheduler=_switch(env.get("INCENTIVES_SCHEDULER", "on"), "INCENTIVES_SCHEDULER"),
        timezone=str(ZoneInfo(env.get("INCENTIVES_TIMEZONE", "UTC"))),
        close_grace_days=_at_least(0, env.get("INCENTIVES_CLOSE_GRACE_DAYS", "5")),
        close_check_minutes=_at_least(1, env.get("INCENTIVES_CLOSE_CHECK_MINUTES", "15")),
        recompute_at=dt.time.fromisoformat(env.get("INCENTIVES_RECOMPUTE_AT", "02:00")),
        log_format=_choice(
            LogFormat, env.get("INCENTIVES_LOG_FORMAT", "text"), "INCENTIVES_LOG_FORMAT"
        ),
        log_level=_choice(
            LogLevel, env.get("INCENTIVES_LOG_LEVEL", "info"), "INCENTIVES_LOG_LEVEL"
        ),
        display_boards=env.get("INCENTIVES_DISPLAY_BOARDS", "bookings:attainment"),
        webhook_retries=_waits(env.get("INCENTIVES_WEBHOOK_RETRIES"), "INCENTIVES_WEBHOOK_RETRIES"),
        contest_max_prize=_amount(env, "INCENTIVES_CONTEST_MAX_PRIZE", "10000"),
        contest_approval_above=_amount(env, "INCENTIVES_CONTEST_APPROVAL_ABOVE", "1000"),
        db_timeouts=Timeouts(
            connect=_seconds(env, "INCENTIVES_DB_CONNECT_TIMEOUT", WAITS.connect),
            statement=_seconds(env, "INCENTIVES_DB_STATEMENT_TIMEOUT", WAITS.statement),
            long_statement=_seconds(
                env, "INCENTIVES_DB_LONG_STATEMENT_TIMEOUT", WAITS.long_statement
            ),
        ),
        idempotency_hours=_at_least(1, env.get("INCENTIVES_IDEMPOTENCY_HOURS", "24")),
        lease_seconds=_seconds(env, "INCENTIVES_LEASE_SECONDS", LEASE_SECONDS, within=(0.5, 3600)),
        estimates_per_minute=_at_least(1, env.get("INCENTIVES_ESTIMATES_PER_MINUTE", "30")),
        estimate_budget_ms=_at_least(10, env.get("INCENTIVES_ESTIMATE_BUDGET_MS", "2000")),
    )


def _amount(env: dict[str, str], name: str, default: str) -> Decimal:
    value = env.get(name, default)
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{name} must be an amount of 0 or more, not {value!r}")
    return amount


def _seconds(
    env: dict[str, str], name: str, default: float, within: tuple[float, float] = (0.1, 86400)
) -> float:
    value = env.get(name)
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    low, high = within
    if not low <= seconds <= high:
        raise ValueError(f"{name} must be seconds between {low:g} and {high:g}, not {value!r}")
    return seconds


def _waits(value: str | None, name: str) -> tuple[float, ...]:
    if value is None:
        return RETRIES
    try:
        waits = tuple(float(part) for part in value.split(",") if part.strip())
    except ValueError:
        waits = ()
    if not waits or any(not 0 < wait <= 7 * 86400 for wait in waits):
        raise ValueError(
            f"{name} must list seconds between 0 and 604800, comma-separated, not {value!r}"
        )
    return waits


def _switch(value: str, name: str) -> bool:
    if value.lower() in ("on", "true", "1", "yes"):
        return True
    if value.lower() in ("off", "false", "0", "no"):
        return False
    raise ValueError(f"{name} must be on or off, not {value!r}")


def _choice(vocabulary: type[E], value: str, name: str) -> E:
    try:
        return vocabulary(value.lower())
    except ValueError:
        allowed = ", ".join(member.value for member in vocabulary)
        raise ValueError(f"{name} must be one of {allowed}, not {value!r}") from None


def _at_least(low: int, value: str) -> int:
    number = int(value)
    if number < low:
        raise ValueError(f"{value} is below {low}")
    return number
