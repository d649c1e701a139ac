"""The ``incentives simulate`` command: a plan over CSV data, offline, no database."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from incentives.engine.credit_trace import credits_behind
from incentives.engine.decode import Plan
from incentives.engine.evaluate import evaluate
from incentives.engine.explain import explain
from incentives.engine.periods import PeriodError, parse_period
from incentives.engine.results import Evaluation
from incentives.engine.tables import InputError, Inputs
from incentives.plans.load import PlanFileError, load_plan
from incentives.simulate.csv_data import DataError, load_inputs
from incentives.simulate.render import (
    comparison,
    comparison_table,
    evaluation_json,
    evaluation_table,
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``simulate`` to the CLI."""
    parser = sub.add_parser(
        "simulate",
        help="evaluate a plan over CSV data, offline",
        description="Evaluate a plan file over a directory of CSV files; no server needed.",
    )
    parser.add_argument("plan", type=Path, help="plan file (YAML or JSON)")
    parser.add_argument("--data", type=Path, required=True, help="directory of CSV files")
    parser.add_argument("--period", help="one period: 2026, 2026-Q1 or 2026-03 (default: all)")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--explain", metavar="PARTICIPANT", help="explain one participant's pay")
    parser.add_argument("--compare", metavar="OTHER_PLAN", type=Path, help="compare with a plan")
    parser.set_defaults(handler=simulate_command)


def _evaluate(plan: Plan, inputs: Inputs, period: str | None) -> Evaluation:
    if period is None:
        return evaluate(plan, inputs)
    wanted = parse_period(period, plan.fiscal_year_starts)
    if wanted.kind != plan.period:
        raise PeriodError(f"plan {plan.key} is paid by {plan.period}; {period} is a {wanted.kind}")
    return evaluate(plan, inputs, [wanted.label])


def simulate_command(args: argparse.Namespace) -> int:
    """Run a simulation; exit 1 with a message naming the problem on bad input.

    Notes (quota rows left out) go to stderr, so stdout holds only the result."""
    notes: list[str] = []
    try:
        plan = load_plan(args.plan)
        result = _evaluate(plan, load_inputs(args.data, plan, notes), args.period)
        if args.compare is not None:
            other_plan = load_plan(args.compare)
            other = _evaluate(other_plan, load_inputs(args.data, other_plan, notes), args.period)
            data = comparison(result, other)
            output = json.dumps(data, indent=2) if args.format == "json" else comparison_table(data)
        elif args.explain is not None:
            mine = [r for r in result.results if r.participant_id == args.explain]
            if not mine:
                print(f"error: no results for participant {args.explain!r}", file=sys.stderr)
                return 1
            output = "\n\n".join(
                explain(r, credits_behind(result, plan, r.participant_id, r.period)) for r in mine
            )
        elif args.format == "json":
            output = json.dumps(evaluation_json(result), indent=2)
        else:
            output = evaluation_table(result)
    except (PlanFileError, DataError, InputError, PeriodError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    print(output)
    return 0
