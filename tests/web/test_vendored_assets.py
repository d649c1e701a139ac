"""The vendored browser files are the released ones their README names, unchanged."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = [
    ROOT / "src" / "incentives" / "web" / "static" / "vendor" / "chartjs",
    ROOT / "tests" / "web" / "assets" / "axe-core",
]


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_vendored_files_match_their_checksums(folder: Path) -> None:
    """A file edited by hand (or a half-finished upgrade) fails here."""
    sums = (folder / "SHA256SUMS").read_text().splitlines()
    assert sums
    for line in sums:
        digest, name = line.split()
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    assert (folder / "LICENSE.md").exists() or (folder / "LICENSE").exists()
