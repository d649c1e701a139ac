"""Bearer tokens: random, shown once, stored only as a SHA-256 digest.

A fast digest is right here: the tokens carry 256 random bits, so there is nothing for
a slow password hash to protect against.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import re
import secrets

PREFIX = "inc_"
# PostgreSQL channel on which revocations are announced (the token ids, comma separated).
REVOKED_CHANNEL = "api_tokens_revoked"


class Refusal(enum.Enum):
    """Why a token opens nothing; the value is what the 401 answer says."""

    UNKNOWN = "The bearer token is not valid"
    REVOKED = "The bearer token has been revoked"
    EXPIRED = "The bearer token has expired"


def new_token() -> str:
    """A fresh bearer token."""
    return PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def shown_prefix(token: str) -> str:
    """The first characters, kept so an operator can tell tokens apart."""
    return token[: len(PREFIX) + 6]


_DURATION = re.compile(r"([1-9][0-9]{0,5})([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def duration(text: str) -> dt.timedelta | None:
    """``90d``, ``12h``, ``30m`` or ``2w`` as a time span; None for anything else."""
    matched = _DURATION.fullmatch(text.strip())
    if matched is None:
        return None
    number, unit = matched.groups()
    return dt.timedelta(**{_UNITS[unit]: int(number)})
