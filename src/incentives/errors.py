"""The ways a domain refuses a request, free of any transport.

Each domain's exceptions subclass one kind below (``NotFound``, ``Conflict``, ``Invalid``,
``Forbidden``), so the API turns every one of them into its HTTP answer in one place
(``api/problems.py``) and the CLI prints the same message, while no domain depends on
the API.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar


class Kind(enum.Enum):
    """What a refusal says about the request."""

    NOT_FOUND = enum.auto()  # what it names does not exist, or not for the caller
    CONFLICT = enum.auto()  # the current state does not allow it, or changed meanwhile
    INVALID = enum.auto()  # well-formed, but a value in it is refused
    FORBIDDEN = enum.auto()  # the caller may not do it, whatever the state


@dataclass(frozen=True)
class FieldError:
    """One refused field: its name (empty: the request as a whole) and what is wrong; in
    a batch, the item's position and its key when known."""

    field: str
    message: str
    item: int | None = None
    key: str | None = None


class DomainError(Exception):
    """A request a domain refuses; its class's ``kind`` says how, ``fields`` names each
    refused field when there are any."""

    kind: ClassVar[Kind]

    def __init__(self, message: str, fields: Iterable[FieldError] = ()) -> None:
        super().__init__(message)
        self.fields = tuple(fields)

    @property
    def summary(self) -> str:
        """The refusal in one line: the message, unless a subclass says it shorter."""
        return str(self)

    @property
    def detail(self) -> str | None:
        """What the summary leaves out, if a subclass has more to say."""
        return None


class NotFound(DomainError):
    """What the request names does not exist, or not for the caller."""

    kind = Kind.NOT_FOUND


class Conflict(DomainError):
    """The current state does not allow the request (or changed since it was read)."""

    kind = Kind.CONFLICT


class Invalid(DomainError):
    """A value of the request is refused; ``fields`` names each."""

    kind = Kind.INVALID


class InvalidField(Invalid):
    """One field's value is refused; the message is ``field: message``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", [FieldError(field, message)])


class Forbidden(DomainError):
    """The caller may not do this, whatever the state."""

    kind = Kind.FORBIDDEN
