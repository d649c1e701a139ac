"""Settings read from the environment (``INCENTIVES_*``), documented in README.md."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec


class Settings(msgspec.Struct, frozen=True):
    """Process configuration. Every field comes from an environment variable."""

    database_url: str | None
    data_dir: Path
    host: str
    port: int
    workers: int = 1


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read settings from the environment (or the mapping given, for tests)."""
    env = dict(os.environ) if environ is None else environ
    return Settings(
        database_url=env.get("INCENTIVES_DATABASE_URL") or None,
        data_dir=Path(env.get("INCENTIVES_DATA_DIR", "var")).resolve(),
        host=env.get("INCENTIVES_HOST", "127.0.0.1"),
        port=int(env.get("INCENTIVES_PORT", "8000")),
        workers=int(env.get("INCENTIVES_WORKERS", "1")),
    )
