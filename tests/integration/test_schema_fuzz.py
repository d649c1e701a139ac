"""The API against its own OpenAPI description, fuzzed: schemathesis generates requests
for every operation from the schema the app serves and sends them to a served app on the
demo, as finance, as a manager and as a rep. None may answer 5xx, a status its operation
does not document, or a body outside its documented schema."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.demo.commands import load
from tests.http import served

FUZZER = str(Path(sys.executable).with_name("schemathesis"))
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"
# Bounded in examples per operation and fixed in its seed, so a run is repeatable and
# takes about a minute per role on 2 cores.
EXAMPLES, SEED = 4, 20261207


@pytest.mark.parametrize("role", ["finance", "manager", "rep"])
async def test_no_operation_answers_outside_its_description(
    db: AsyncEngine, database_url: str, tmp_path: Path, role: str
) -> None:
    loaded = await load(db, dt.date(2026, 12, 7))
    env = {**os.environ, "INCENTIVES_DATABASE_URL": database_url, "INCENTIVES_SCHEDULER": "off"}
    async with served(tmp_path, env) as server:
        fuzz = await asyncio.create_subprocess_exec(
            FUZZER,
            "run",
            f"{server.base}/schema/openapi.json",
            "--header",
            f"Authorization: Bearer {loaded.tokens[role]}",
            "--checks",
            CHECKS,
            "--max-examples",
            str(EXAMPLES),
            "--seed",
            str(SEED),
            "--workers",
            "1",
            "--report-dir",
            str(tmp_path / "report"),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1"},
        )
        out, _ = await asyncio.wait_for(fuzz.communicate(), 600)
    text = out.decode()
    assert fuzz.returncode == 0, text[-6000:] + server.stderr()[-3000:]
    # Every operation of the schema was reached.
    selected = re.search(r"Selected: (\d+)/(\d+)", text)
    tested = re.search(r"Tested: (\d+)", text)
    assert selected and tested, text[-2000:]
    assert selected[1] == selected[2] == tested[1], text[-2000:]
