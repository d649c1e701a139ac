"""``python -m incentives.api.examples.record``: record the API's examples on the demo.

Loads the demo built around today into a database of its own (an embedded PostgreSQL in
a temporary folder, or with ``--database-url`` an empty database you made and drop after),
serves the app on a loopback port, makes the calls of ``calls.py`` as the demo's users,
and writes what each operation was asked and answered to ``recorded.json``. It writes
nothing unless every operation was called, and every example fits the description and
holds no token. Needs the dev extras (httpx, jsonschema-rs).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import sys
import tempfile
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.api.examples import RECORDED, Example, Recorded, encode, essence
from incentives.api.examples.calls import play
from incentives.api.examples.check import operations, problems, secrets_in
from incentives.api.loopback import loopback
from incentives.db import migrate
from incentives.db.connection import make_engine
from incentives.db.embedded import embedded_server
from incentives.demo.commands import load

# A query's parameters, as httpx takes them.
Query = Mapping[str, str | int]
# How many items of each list an example keeps, and how many lines of a text.
ITEMS = 2
LINES = 3


class RecordingFailed(Exception):
    """A call did not answer as documented, or the examples do not fit the description."""


def cut(value: Any) -> Any:
    """``value`` with each of its lists, at any depth, cut to its first ``ITEMS``."""
    if isinstance(value, list):
        return [cut(item) for item in value[:ITEMS]]
    if isinstance(value, dict):
        return {key: cut(item) for key, item in value.items()}
    return value


def head(text: str, start: str | None = None) -> str:
    """The first ``LINES`` lines of ``text``, from the first that begins with ``start``."""
    lines = text.splitlines(keepends=True)
    at = 0 if start is None else next((n for n, x in enumerate(lines) if x.startswith(start)), -1)
    if at < 0:
        raise RecordingFailed(f"no line begins with {start!r}")
    return "".join(lines[at : at + LINES])


def first_event(lines: list[str]) -> dict[str, str]:
    """The Server-Sent Event the ``lines`` of a stream start with, as the description
    gives an event (its name and its data, the data's lists cut)."""
    fields = dict(line.split(": ", 1) for line in lines if ": " in line)
    data = msgspec.json.encode(cut(msgspec.json.decode(fields["data"]))).decode()
    return {"event": fields["event"], "data": data}


class Recorder:
    """Makes the calls of the demo's users on a served app and keeps each as an example."""

    def __init__(
        self, client: httpx.AsyncClient, tokens: Mapping[str, str], schema: dict[str, Any]
    ) -> None:
        self.client = client
        self.tokens = tokens
        self.documented = operations(schema)
        self.examples: dict[str, Example] = {}

    def _request(
        self,
        operation: str,
        who: str | None,
        path: Mapping[str, object] | None,
        query: Query | None,
    ) -> tuple[str, str, str, dict[str, str]]:
        if operation not in self.documented:
            raise RecordingFailed(f"{operation}: no such operation")
        if operation in self.examples:
            raise RecordingFailed(f"{operation}: called twice")
        method, template = operation.split(" ", 1)
        url = template.format(**(path or {}))
        asked = f"{method} {url}" + (f"?{urlencode(query)}" if query else "")
        headers = {} if who is None else {"Authorization": f"Bearer {self.tokens[who]}"}
        return method, url, asked, headers

    def _keep(
        self,
        operation: str,
        who: str | None,
        asked: str,
        answer: httpx.Response,
        value: Any,
        body: Any = None,
    ) -> None:
        self.examples[operation] = Example(
            who=who,
            asked=asked,
            request=body,
            status=answer.status_code,
            media_type=(
                essence(answer.headers["content-type"])
                if "content-type" in answer.headers
                else None
            ),
            answer=value,
        )

    def _succeeded(
        self, operation: str, who: str | None, asked: str, answer: httpx.Response
    ) -> None:
        """RecordingFailed unless ``answer`` is a success the operation documents."""
        status = answer.status_code
        if not (200 <= status < 300 and str(status) in self.documented[operation]["responses"]):
            raise RecordingFailed(f"{asked} as {who}: {status} {answer.text[:2000]}")

    async def call(
        self,
        operation: str,
        who: str | None,
        *,
        path: Mapping[str, object] | None = None,
        query: Query | None = None,
        body: Any = None,
        text_from: str | None = None,
    ) -> Any:
        """Call ``operation`` (``"GET /api/v1/me/earnings/{line}/explain"``) as the demo's
        ``who`` (None: without a token), its path's parameters filled from ``path``; keep
        the request body and the answer, cut short (a text from its first line that begins
        with ``text_from``), as its example; return the answer whole (JSON decoded) for
        the calls after it."""
        method, url, asked, headers = self._request(operation, who, path, query)
        answer = await self.client.request(
            method, url, params=dict(query or {}), json=body, headers=headers
        )
        self._succeeded(operation, who, asked, answer)
        if "content-type" not in answer.headers:  # no content: nothing to show but its status
            self._keep(operation, who, asked, answer, None, body)
            return None
        json = essence(answer.headers["content-type"]) == "application/json"
        whole = answer.json() if json else answer.text
        kept = cut(whole) if json else head(answer.text, text_from)
        self._keep(operation, who, asked, answer, kept, body)
        return whole

    async def stream(self, operation: str, who: str, *, path: Mapping[str, object]) -> None:
        """Open the event stream ``operation`` as ``who`` and keep its first event."""
        method, url, asked, headers = self._request(operation, who, path, None)
        async with self.client.stream(method, url, headers=headers) as answer:
            if not answer.is_success:
                await answer.aread()  # the problem, for the message
            self._succeeded(operation, who, asked, answer)
            lines: list[str] = []
            async for line in answer.aiter_lines():
                if line == "" and lines:
                    break
                lines.append(line)
            self._keep(operation, who, asked, answer, first_event(lines))


async def record(engine: AsyncEngine) -> Recorded:
    """Load the demo built around today into ``engine``'s database (migrated, and empty),
    make every call of ``calls.py`` and return the examples; RecordingFailed if a call
    failed or the examples do not fit the description."""
    async with engine.connect() as conn:
        if await conn.scalar(text("SELECT EXISTS (SELECT 1 FROM audit_log)")):
            raise RecordingFailed("the database is not empty: record on a new one")
    today = dt.datetime.now(dt.UTC).date()
    loaded = await load(engine, today)
    async with loopback(engine) as base, httpx.AsyncClient(base_url=base, timeout=120) as client:
        schema = (await client.get("/schema/openapi.json")).raise_for_status().json()
        recorder = Recorder(client, loaded.tokens, schema)
        await play(recorder, loaded)
    recorded = Recorded(today, recorder.examples)
    found = problems(schema, recorded) + [f"{key}: a token" for key in secrets_in(recorded)]
    if found:
        raise RecordingFailed("\n".join(found))
    return recorded


@contextlib.asynccontextmanager
async def scratch_database(url: str | None) -> AsyncIterator[AsyncEngine]:
    """An engine on the database at ``url``, or else on an embedded server in a temporary
    folder (removed after), migrated to head."""
    async with contextlib.AsyncExitStack() as stack:
        if url is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            url = await stack.enter_async_context(embedded_server(folder / "pgdata"))
        engine = make_engine(url)
        stack.push_async_callback(engine.dispose)
        await migrate.upgrade(engine)
        yield engine


async def _record(url: str | None) -> Recorded:
    async with scratch_database(url) as engine:
        return await record(engine)


def main(argv: list[str] | None = None) -> int:
    """Record the examples and write them; 1 if recording failed."""
    parser = argparse.ArgumentParser(
        prog="python -m incentives.api.examples.record",
        description="Record the API's request and answer examples on the demo.",
    )
    parser.add_argument(
        "--database-url",
        help="an empty database to record on (left holding the demo); by default an"
        " embedded PostgreSQL in a temporary folder",
    )
    parser.add_argument("--out", type=Path, default=RECORDED, help=f"default: {RECORDED}")
    args = parser.parse_args(argv)
    try:
        recorded = asyncio.run(_record(args.database_url))
    except RecordingFailed as exc:
        print(f"recording the examples failed:\n{exc}", file=sys.stderr)
        return 1
    args.out.write_bytes(encode(recorded))
    print(f"{len(recorded.operations)} operations' examples written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
