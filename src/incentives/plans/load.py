"""Reading plan files (YAML, or JSON) and validating them into engine plan models.

Scalars are read as text, never through binary floats: ``rate: 0.1`` reaches the plan
model as exactly ``Decimal('0.1')``; the text is read strictly (``strict_yaml``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from incentives import errors
from incentives.engine.decode import Plan, decode_plan
from incentives.engine.plan import OTHER_PLAN_KINDS, PLAN_KINDS
from incentives.engine.validate import Problem
from incentives.games.model import Achievement, Contest, decode_achievement, decode_contest
from incentives.plans.strict_yaml import PlanTextError, parse_text

PLAN_SUFFIXES = (".yaml", ".yml", ".json")
T = TypeVar("T")
# Anything a plan file may hold: a commission plan, a contest or an achievement rule.
Document = Plan | Contest | Achievement


@dataclass(frozen=True)
class FileProblem:
    """A problem in a plan file."""

    file: Path
    path: str
    message: str

    @property
    def where(self) -> str:
        """The file, and the path inside it when there is one."""
        return f"{self.file}: {self.path}" if self.path else str(self.file)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class PlanFileError(errors.Invalid, ValueError):
    """A plan file that could not be read or is not a valid plan; one line per problem,
    each also a field named by where it is."""

    def __init__(self, problems: list[FileProblem]) -> None:
        super().__init__(
            "\n".join(str(p) for p in problems),
            [errors.FieldError(p.where, p.message) for p in problems],
        )

    @property
    def summary(self) -> str:
        """How many problems; each is in ``fields``."""
        return f"The plan is not valid: {len(self.fields)} problem(s)"


def text_problem(where: Path, exc: Exception) -> FileProblem:
    """The problem of plan text that could not be parsed (``parse_text``'s errors)."""
    if isinstance(exc, PlanTextError):
        return FileProblem(where, exc.key, str(exc))
    return FileProblem(where, "", f"not valid YAML/JSON: {exc}")


def _read(
    path: Path, decode: Callable[[Any], tuple[T | None, list[Problem]]]
) -> tuple[T | None, list[FileProblem]]:
    try:
        raw = parse_text(path.read_text(encoding="utf-8"), path.suffix.lower())
    except (OSError, UnicodeDecodeError) as exc:
        return None, [FileProblem(path, "", f"cannot read: {exc}")]
    except (yaml.YAMLError, ValueError) as exc:
        return None, [text_problem(path, exc)]
    value, problems = decode(raw)
    return value, [_in_file(path, p) for p in problems]


def read_plan(path: Path) -> tuple[Plan | None, list[FileProblem]]:
    """Read and validate one commission plan file; returns it (or None) and all its problems."""
    return _read(path, decode_plan)


def decode_document(raw: Any) -> tuple[Document | None, list[Problem]]:
    """Decode a parsed plan file of any kind; returns it (or None) and all its problems."""
    kind = raw.get("kind") if isinstance(raw, dict) else None
    if kind == "contest":
        return decode_contest(raw)
    if kind == "achievement":
        return decode_achievement(raw)
    if isinstance(raw, dict) and kind not in PLAN_KINDS:
        kinds = ", ".join((*PLAN_KINDS, *OTHER_PLAN_KINDS))
        return None, [Problem("kind", f"must be one of: {kinds} (got {kind!r})")]
    return decode_plan(raw)


def read_document(path: Path) -> tuple[Document | None, list[FileProblem]]:
    """Read and validate one plan file of any kind (commission, contest, achievement)."""
    return _read(path, decode_document)


def load_plan(path: Path) -> Plan:
    """Read a plan file, or raise PlanFileError listing every problem."""
    plan, problems = read_plan(path)
    if plan is None:
        raise PlanFileError(problems)
    return plan


def plan_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The plan files named, directories expanded to the plan files directly inside them."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.iterdir() if p.suffix.lower() in PLAN_SUFFIXES)
        else:
            yield path


def _in_file(path: Path, problem: Problem) -> FileProblem:
    return FileProblem(path, problem.path, problem.message)
