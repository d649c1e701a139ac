"""Bearer tokens: random, shown once, stored only as a SHA-256 digest.

A fast digest is right here: the tokens carry 256 random bits, so there is nothing for
a slow password hash to protect against.
"""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "inc_"


def new_token() -> str:
    """A fresh bearer token."""
    return PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def shown_prefix(token: str) -> str:
    """The first characters, kept so an operator can tell tokens apart."""
    return token[: len(PREFIX) + 6]
