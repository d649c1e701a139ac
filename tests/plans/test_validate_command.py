"""``incentives plans validate``: exit code and listing."""

from __future__ import annotations

from pathlib import Path

import pytest

from incentives.cli import main
from tests.engine.builders import PLANS


def test_example_plans_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plans", "validate", str(PLANS)]) == 0
    out = capsys.readouterr().out
    assert "OK " in out
    # Every example file, contests and achievements included, is valid.
    assert f"{len(list(PLANS.glob('*.yaml')))} plan file(s) valid" in out
    assert "contest-november-sprint.yaml" in out


def test_bad_plan_lists_every_problem_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = (PLANS / "sdr.yaml").read_text(encoding="utf-8")
    bad = good.replace("per_unit: 50", "per_unit: -50").replace("gate: 50%", "gate: 50")
    (tmp_path / "good.yaml").write_text(good, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(bad, encoding="utf-8")
    assert main(["plans", "validate", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    bad_path = tmp_path / "bad.yaml"
    assert f"{bad_path}: components[0].gate: write percentages with a % sign" in captured.out
    assert f"OK {tmp_path / 'good.yaml'}" in captured.out
    assert "1 of 2 plan files have problems" in captured.err
