"""The README's examples, run as written: each ``curl`` against the demo of the day the
README names, each ``incentives`` command of its shell blocks as a program."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import shlex
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.demo.commands import load
from tests.http import api_client

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
# The day of the demo the README's figures and dates are written for.
DEMO_DAY = dt.date(2026, 12, 7)
BASE = "http://127.0.0.1:8000"
SHELL_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)
# Indented blocks (four spaces) hold shell commands too.
INDENTED = re.compile(r"(?:^    \S.*\n)+", re.M)


@dataclass
class Request:
    """A curl command line, as far as the README uses curl."""

    line: str
    method: str = "GET"
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    data: str | None = None


def _commands() -> list[str]:
    """Every command of the README's shell blocks, continuation lines joined."""
    text = README.read_text(encoding="utf-8")
    blocks = SHELL_BLOCK.findall(text) + [b.replace("\n    ", "\n") for b in INDENTED.findall(text)]
    commands: list[str] = []
    for block in blocks:
        pending = ""
        for raw in re.sub(r"\\\n\s*", " ", block).splitlines():
            pending += raw.split(" # ")[0] + "\n"
            try:
                shlex.split(pending)  # a quoted argument may go on over several lines
            except ValueError:
                continue
            if pending.strip():
                commands.append(pending.strip())
            pending = ""
        assert not pending, f"unbalanced quotes in the README: {pending}"
    return commands


def _curl(line: str, tokens: dict[str, str]) -> Request:
    words = shlex.split(line)
    assert words[0] == "curl", line
    request = Request(line)
    at = 1
    while at < len(words):
        word = words[at]
        if word == "-s":
            pass
        elif word == "-X":
            at += 1
            request.method = words[at]
        elif word == "-H":
            at += 1
            name, value = words[at].split(": ", 1)
            for label, token in tokens.items():
                value = value.replace(f"${label.upper()}", token)
            request.headers[name] = value
        elif word == "-d":
            at += 1
            request.data = words[at]
        else:
            assert word.startswith(BASE), f"{line}: unexpected {word!r}"
            request.url = word.removeprefix(BASE)
        at += 1
    if request.data is not None and request.method == "GET":
        request.method = "POST"
    return request


def test_the_readme_has_examples_for_every_role() -> None:
    curls = [line for line in _commands() if line.startswith("curl ")]
    for variable in ("$REP", "$MANAGER", "$FINANCE", "$ADMIN"):
        assert any(variable in line for line in curls), variable
    assert sum(line.startswith("incentives ") for line in _commands()) >= 5


async def test_every_curl_example_answers_on_the_demo(db: AsyncEngine) -> None:
    loaded = await load(db, DEMO_DAY)
    curls = [_curl(line, loaded.tokens) for line in _commands() if line.startswith("curl ")]
    async with api_client(db) as client:
        for request in curls:
            answer = await client.request(
                request.method, request.url, headers=request.headers, content=request.data
            )
            assert answer.status_code < 300, f"{request.line}\n{answer.text[:500]}"
            if answer.headers.get("content-type", "").startswith("application/json"):
                body = answer.json()
                # Nothing the README sends may be a value no rule can match.
                assert not (isinstance(body, dict) and body.get("warnings")), request.line
            if request.url.endswith("/me/estimate"):
                (period,) = answer.json()["periods"]
                assert Decimal(period["difference"]) > 0, "the estimated deal adds pay"
            if request.url.endswith("/ingest/deals"):
                assert answer.json()["created"] == 1


async def test_every_command_line_example_runs() -> None:
    program = str(Path(sys.executable).with_name("incentives"))
    for line in _commands():
        if not line.startswith("incentives "):
            continue
        words = shlex.split(line)
        if words[1] not in ("simulate", "plans") or "publish" in words:
            continue  # the others need a database, and are tested where they are built
        process = await asyncio.create_subprocess_exec(
            program,
            *words[1:],
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        assert process.returncode == 0, f"{line}\n{err.decode()[-1000:]}"
        assert out, line
