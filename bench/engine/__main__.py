"""Run the engine benchmark: load, evaluate, and compare with the numpy baseline.

    python -m bench.engine [--deals 5000000] [--participants 10000]

Generates the data set into bench/out/ first if it is not there (not timed).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import msgspec
import numpy as np

from bench.engine import baseline
from bench.engine.generate import OUT, data_path, generate
from bench.engine.load import load
from incentives.engine.evaluate import evaluate
from incentives.engine.plan import CommissionPlan, Crediting
from incentives.plans.load import load_plan

PLAN = Path(__file__).resolve().parents[2] / "plans" / "account-executive.yaml"


def bench_plan() -> CommissionPlan:
    """The AE plan, with overlay credit for two levels of managers."""
    plan = load_plan(PLAN)
    return msgspec.structs.replace(plan, crediting=Crediting(rollup_levels=2))


def peak_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(deals: int, participants: int, repeat: int = 3) -> dict[str, object]:
    """Run once and return the figures; raises AssertionError if totals differ."""
    path = data_path(deals, participants)
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        np.savez(path, **generate(deals, participants))  # type: ignore[arg-type]
    started = time.perf_counter()
    inputs = load(path)
    load_s = time.perf_counter() - started
    load_peak = peak_mib()
    plan = bench_plan()

    # Best of ``repeat`` runs for each side: a shared 2-core machine is noisy.
    engine_runs, baseline_runs = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        evaluation = evaluate(plan, inputs)
        engine_runs.append(time.perf_counter() - started)
        started = time.perf_counter()
        expected = baseline.totals(inputs)
        baseline_runs.append(time.perf_counter() - started)
    engine_s, baseline_s = min(engine_runs), min(baseline_runs)
    engine_totals = np.zeros(participants, np.int64)
    index = inputs.participants.index
    for result in evaluation.results:
        engine_totals[index[result.participant_id]] += result.total
    mismatched = np.flatnonzero(expected != engine_totals)
    assert len(mismatched) == 0, (
        f"{len(mismatched)} participants differ, e.g. {inputs.participants.ids[mismatched[0]]}: "
        f"engine {engine_totals[mismatched[0]]}, baseline {expected[mismatched[0]]}"
    )
    return {
        "deals": deals,
        "participants": participants,
        "results": len(evaluation.results),
        "total_paid_cents": int(engine_totals.sum()),
        "load_s": round(load_s, 3),
        "engine_s": round(engine_s, 3),
        "baseline_s": round(baseline_s, 3),
        "ratio": round(engine_s / baseline_s, 2),
        "peak_mib_after_load": round(load_peak),
        "engine_runs_s": [round(x, 3) for x in engine_runs],
        "baseline_runs_s": [round(x, 3) for x in baseline_runs],
        "peak_mib_end": round(peak_mib()),
    }


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deals", type=int, default=5_000_000)
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side; best counts")
    args = parser.parse_args()
    started = time.perf_counter()
    figures = run(args.deals, args.participants, args.repeat)
    figures["command_s"] = round(time.perf_counter() - started, 3)
    print(json.dumps(figures, indent=2))
    (OUT / "engine-results.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
