"""The engine benchmark at a tiny size: engine and hand-written baseline agree to the cent."""

from __future__ import annotations

import numpy as np
from bench.engine import baseline
from bench.engine.__main__ import bench_plan
from bench.engine.generate import generate
from bench.engine.load import inputs_from_arrays

from incentives.engine.evaluate import evaluate


def test_engine_matches_baseline_on_1000_deals() -> None:
    inputs = inputs_from_arrays(generate(1000, 100, seed=7))
    expected = baseline.totals(inputs)
    totals = np.zeros(len(inputs.participants), np.int64)
    for result in evaluate(bench_plan(), inputs).results:
        totals[inputs.participants.index[result.participant_id]] += result.total
    assert totals.sum() > 0
    assert totals.tolist() == expected.tolist()
