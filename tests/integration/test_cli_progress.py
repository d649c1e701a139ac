"""Progress of the real CLI: drawn on a terminal's stderr, silent when stderr is piped."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

PROGRAM = str(Path(sys.executable).with_name("incentives"))
DATA = Path(__file__).parent.parent / "data"
WITHIN = 60.0


@pytest.fixture
def env(db: AsyncEngine, database_url: str) -> dict[str, str]:
    return {**os.environ, "INCENTIVES_DATABASE_URL": database_url}


def piped(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """Run the CLI with stdout and stderr piped: exit code, stdout, stderr."""
    done = subprocess.run(  # noqa: S603 - our own program, arguments written here
        [PROGRAM, *args], env=env, capture_output=True, text=True, timeout=WITHIN, check=False
    )
    return done.returncode, done.stdout, done.stderr


def on_a_terminal(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal: exit code, stdout, what the tty got."""
    master, slave = pty.openpty()
    with subprocess.Popen(  # noqa: S603 - our own program, arguments written here
        [PROGRAM, *args], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave
    ) as process:
        os.close(slave)  # the child holds it now: reading ends when the child has gone
        seen = b""
        deadline = time.monotonic() + WITHIN
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                continue
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: every writer of the terminal has closed it
                break
            if not data:
                break
            seen += data
        os.close(master)
        assert process.stdout is not None
        out = process.stdout.read().decode()
        code = process.wait(timeout=WITHIN)
    return code, out, seen.decode()


def test_an_import_shows_its_progress_on_a_terminal(env: dict[str, str]) -> None:
    code, out, tty = on_a_terminal(env, "import", "participants", str(DATA / "participants.csv"))
    assert code == 0, tty
    assert "4 rows, 4 created" in out
    # Drawn in place (a carriage return, the line cleared), then ended by the final line.
    assert re.search(r"\rimport participants: 4 / 4 rows", tty), tty
    final = r"\rimport participants: 4 rows in \d+\.\d s · [\d.,]+ rows/s\x1b\[K\r?\n"
    assert re.search(final, tty), tty


def test_an_import_says_nothing_more_when_stderr_is_piped(env: dict[str, str]) -> None:
    code, out, err = piped(env, "import", "participants", str(DATA / "participants.csv"))
    assert code == 0, err
    assert "4 rows, 4 created" in out
    assert "\r" not in err and "\x1b" not in err and "import participants:" not in err


def test_a_run_shows_its_progress_on_a_terminal_and_nothing_when_piped(
    env: dict[str, str],
) -> None:
    assert piped(env, "plans", "publish", "plans/account-executive.yaml")[0] == 0
    assert piped(env, "periods", "generate", "--year", "2026")[0] == 0
    code, out, tty = on_a_terminal(env, "calc", "--period", "2026-Q1")
    assert code == 0, tty
    assert "succeeded" in out
    assert re.search(r"\rcalc 2026-Q1: 1 plan in \d+\.\d s", tty), tty
    code, out, err = piped(env, "calc", "--period", "2026-Q1")
    assert code == 0, err
    assert "succeeded" in out
    assert "\r" not in err and "calc 2026-Q1:" not in err
