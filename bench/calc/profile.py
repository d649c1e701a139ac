"""Where an incremental recompute's time goes: the same ingest and recompute, in-process.

Each deal is ingested (``ingest`` in its own transaction, as the API does) and then
``incremental.recompute`` is awaited directly, with the functions the run and the loader
call wrapped in timers. The wrappers only add up time; nothing in the run changes.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import time
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from bench.calc.data import YEAR, participant_key, roles
from bench.engine.generate import PRODUCTS
from incentives.audit.log import Actor
from incentives.calc import incremental, runs
from incentives.calc import load as loader
from incentives.db.connection import driver_transaction, make_engine
from incentives.ingest.service import ingest
from incentives.ingest.touched import Touched

P = ParamSpec("P")
R = TypeVar("R")
SEED = 20260403


class Phases:
    """Seconds per named phase, accumulated by wrapped functions."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def add(self, name: str, seconds: float) -> None:
        """Count ``seconds`` against ``name``."""
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def wrap_async(
        self, name: str, fn: Callable[P, Coroutine[Any, Any, R]]
    ) -> Callable[P, Coroutine[Any, Any, R]]:
        """``fn`` timed under ``name``."""

        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            started = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                self.add(name, time.perf_counter() - started)

        return wrapper

    def wrap(self, name: str, fn: Callable[P, R]) -> Callable[P, R]:
        """``fn`` timed under ``name``."""

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.add(name, time.perf_counter() - started)

        return wrapper


def _instrument(phases: Phases) -> None:
    # Wrapped where the modules look them up (their own imports), hence setattr.
    coroutines = [
        (runs, "load", "load"),
        (runs, "replace_results", "persist"),
        (incremental, "calculate", "calculate"),
        *(
            (loader, name, f"load{name}")
            for name in ("_covers", "_deals", "_splits", "_activities")
        ),
    ]
    for module, name, phase in coroutines:
        setattr(module, name, phases.wrap_async(phase, getattr(module, name)))
    setattr(runs, "evaluate", phases.wrap("engine", getattr(runs, "evaluate")))  # noqa: B009, B010


async def profile(url: str, ingests: int, participants: int) -> dict[str, Any]:
    """Mean seconds per phase over ``ingests`` single-deal ingests and their recomputes."""
    phases = Phases()
    _instrument(phases)
    actor = Actor(name="bench-profile", channel="api")
    people = roles(participants)
    reps = [i for i, r in enumerate(people) if r == "rep"]
    rng = random.Random(SEED)
    engine = make_engine(url)
    credits_written: list[int] = []
    try:
        for n in range(ingests):
            day = dt.date(YEAR, 1, 1) + dt.timedelta(days=rng.randrange(365))
            deal = {
                "external_id": f"bench-profile-{n:06d}",
                "owner": participant_key(rng.choice(reps)),
                "amount": f"{rng.randrange(5_000, 30_000)}.00",
                "currency": "USD",
                "close_date": day.isoformat(),
                "status": "won",
                "product": rng.choice(PRODUCTS),
                "attributes": {"deal_type": "new_business"},
            }
            touched = Touched()
            started = time.perf_counter()
            async with driver_transaction(engine) as conn:
                await ingest(conn, "deals", [deal], actor, touched=touched)
            committed = time.perf_counter()
            phases.add("ingest (to commit)", committed - started)
            done = await incremental.recompute(engine, touched, actor)
            phases.add("recompute", time.perf_counter() - committed)
            credits_written += [int(run.counts.get("credits", 0)) for run in done]
    finally:
        await engine.dispose()
    seconds = phases.seconds
    seconds["recompute: before calculate"] = seconds["recompute"] - seconds["calculate"]
    seconds["calculate: outside load, engine, persist"] = seconds["calculate"] - sum(
        seconds[k] for k in ("load", "engine", "persist")
    )
    seconds["load: participants, hierarchy, quotas, rates"] = seconds["load"] - sum(
        v for k, v in seconds.items() if k.startswith("load_")
    )
    return {
        "ingests": ingests,
        "mean_ms": {k: round(v / ingests * 1000, 1) for k, v in sorted(seconds.items())},
        "credits_rewritten_per_recompute": round(sum(credits_written) / max(1, ingests)),
    }
