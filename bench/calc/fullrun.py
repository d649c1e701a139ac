"""One full calculation run in a process of its own, so that its peak memory is its own.

    python -m bench.calc.fullrun URL [--period 2026]

Prints one JSON object: the run's wall time (``calculate`` called as the CLI calls it),
the process's peak resident set before and after, the run summary, and the time spent
in each phase (loading, the engine, replacing the results), taken by wrapping the
functions the run module calls; the run itself is untouched.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import resource
import time
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import msgspec

from incentives.audit.log import CLI_ACTOR
from incentives.calc import runs
from incentives.db.connection import make_engine

P = ParamSpec("P")
R = TypeVar("R")


def peak_mib() -> float:
    """This process's peak resident set so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed_async(
    phases: dict[str, float], name: str, fn: Callable[P, Coroutine[Any, Any, R]]
) -> Callable[P, Coroutine[Any, Any, R]]:
    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        started = time.perf_counter()
        try:
            return await fn(*args, **kwargs)
        finally:
            phases[name] = phases.get(name, 0.0) + time.perf_counter() - started

    return wrapper


def _timed(phases: dict[str, float], name: str, fn: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            phases[name] = phases.get(name, 0.0) + time.perf_counter() - started

    return wrapper


async def full_run(url: str, period: str) -> dict[str, Any]:
    """Run ``calculate`` over ``period`` and measure it."""
    phases: dict[str, float] = {}
    # Wrapped where the run module looks them up; setattr since they are its imports.
    for name, wrap in (
        ("load", _timed_async),
        ("evaluate", _timed),
        ("replace_results", _timed_async),
    ):
        phase = {"evaluate": "engine", "replace_results": "persist"}.get(name, name)
        setattr(runs, name, wrap(phases, phase, getattr(runs, name)))
    engine = make_engine(url)
    try:
        before = peak_mib()
        started = time.perf_counter()
        summary = await runs.calculate(engine, period=period, trigger="cli", actor=CLI_ACTOR)
        seconds = time.perf_counter() - started
    finally:
        await engine.dispose()
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mib_before": round(before),
        "peak_rss_mib": round(peak_mib()),
        "phases_s": {k: round(v, 2) for k, v in phases.items()},
        "run": msgspec.to_builtins(summary),
    }


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--period", default="2026")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(full_run(args.url, args.period))))


if __name__ == "__main__":
    main()
