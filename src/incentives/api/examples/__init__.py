"""Request and answer examples for the API's description, recorded on the demo.

``recorded.json`` holds, per operation (``"GET /api/v1/me"``, its path as the description
writes it), the call made as one of the demo's users: the request body, if any, and the
answer, its lists cut to their first items. ``record.py`` makes the file anew on a fresh
demo (``scripts/record-examples``); ``attach`` puts its examples into the description as
served, and ``check.py`` tells whether they still fit it.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

import msgspec

RECORDED = Path(__file__).with_name("recorded.json")
# The name of the one example of each request body and answer, in the description.
NAME = "demo"


class Example(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """One operation as called on the demo: by whom (a demo user; None: without a token),
    with which method, path and query, with which body, and what it answered."""

    who: str | None
    asked: str
    request: Any = None
    status: int
    # None for an answer without content (204).
    media_type: str | None = None
    answer: Any = None

    def summary(self) -> str:
        """What the example shows, as the docs title it."""
        caller = f"The demo's {self.who}" if self.who else "Without a token"
        return f"{caller}: {self.asked}"


class Recorded(msgspec.Struct, forbid_unknown_fields=True):
    """The examples of every operation, recorded on the demo built around ``day``."""

    day: dt.date
    operations: dict[str, Example]


def essence(media_type: str) -> str:
    """A media type without its parameters: ``text/csv`` for ``text/csv; charset=utf-8``."""
    return media_type.split(";", 1)[0].strip()


def encode(recorded: Recorded) -> bytes:
    """The file's text: indented, operations in order, so a new recording diffs well."""
    ordered = Recorded(recorded.day, dict(sorted(recorded.operations.items())))
    return msgspec.json.format(msgspec.json.encode(ordered), indent=2) + b"\n"


@functools.cache
def recorded() -> Recorded:
    """The checked-in examples (read once)."""
    return msgspec.json.decode(RECORDED.read_bytes(), type=Recorded)


def _named(example: Example, value: Any) -> dict[str, Any]:
    return {NAME: {"summary": example.summary(), "value": value}}


def attach(schema: dict[str, Any], examples: Recorded) -> dict[str, Any]:
    """Give each operation of ``schema`` its recorded examples: of its request body, and
    of its answer in the status and media type it was recorded with. An operation without
    a recording is left as it is (the examples' tests name it). Changes ``schema`` in
    place, and returns it."""
    paths = schema.get("paths", {})
    for key, example in examples.operations.items():
        method, path = key.split(" ", 1)
        operation = paths.get(path, {}).get(method.lower())
        if operation is None:
            continue
        body = operation.get("requestBody")
        if body is not None and example.request is not None:
            for media in body.get("content", {}).values():
                media["examples"] = _named(example, example.request)
        answer = operation.get("responses", {}).get(str(example.status), {})
        for media_type, media in answer.get("content", {}).items():
            if essence(media_type) == example.media_type:
                media["examples"] = _named(example, example.answer)
    return schema
