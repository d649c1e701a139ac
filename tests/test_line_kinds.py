"""Every kind of line is explained in words of its own and lands on statements as a kind
of statement line; a kind added without either fails here."""

from __future__ import annotations

from decimal import Decimal

import pytest

from incentives.db.models import STATEMENT_LINE_KINDS
from incentives.engine.explain import explain
from incentives.engine.results import Line, LineKind, Result, TierStep, Trace
from incentives.payouts.statements import STATEMENT_KIND

_STEP = (TierStep(Decimal(0), None, Decimal("0.05"), Decimal(1000), Decimal(50)),)

# A line of each kind, and words only its explanation says.
EXAMPLES: dict[LineKind, tuple[Trace, str]] = {
    LineKind.RATE: (Trace(kind=LineKind.RATE, steps=_STEP), "$1,000.00 at 5%: $50.00."),
    LineKind.TIERED: (
        Trace(kind=LineKind.TIERED, steps=_STEP, method="graduated on amount"),
        "The first $1,000.00",
    ),
    LineKind.BONUS: (
        Trace(kind=LineKind.BONUS, milestones=((Decimal(1), Decimal(500), True),)),
        "Bonus of $500.00 at 100.0% attainment: reached.",
    ),
    LineKind.SPIFF: (
        Trace(kind=LineKind.SPIFF, steps=_STEP, shares=((Decimal(1), 1),)),
        "1 qualifying deal",
    ),
    LineKind.PLAN_CAP: (
        Trace(kind=LineKind.PLAN_CAP, cap=Decimal(40), before_cap=Decimal(50)),
        "Earned $50.00, capped at $40.00",
    ),
    LineKind.CLAWBACK: (
        Trace(kind=LineKind.CLAWBACK, deals=("D-1",)),
        "Cancelled within the clawback window: D-1.",
    ),
    LineKind.DRAW: (
        Trace(kind=LineKind.DRAW, draw=Decimal(100), draw_balance=Decimal(0)),
        "Your guaranteed minimum is $100.00",
    ),
    LineKind.DRAW_RECOVERY: (
        Trace(kind=LineKind.DRAW_RECOVERY, draw=Decimal(100), draw_balance=Decimal(20)),
        "Recovers part of earlier guaranteed pay",
    ),
    LineKind.ADJUSTMENT: (
        Trace(kind=LineKind.ADJUSTMENT, note="2026-Q1 now pays more."),
        "2026-Q1 now pays more.",
    ),
    LineKind.MANUAL_ADJUSTMENT: (
        Trace(kind=LineKind.MANUAL_ADJUSTMENT, note="Missed split"),
        "Missed split",
    ),
    LineKind.CONTEST_PRIZE: (
        Trace(kind=LineKind.CONTEST_PRIZE, note="Top closer"),
        "Top closer",
    ),
}


def test_every_kind_has_an_example() -> None:
    assert set(EXAMPLES) == set(LineKind)


@pytest.mark.parametrize("kind", list(LineKind))
def test_a_line_of_each_kind_is_explained_in_its_own_words(kind: LineKind) -> None:
    trace, words = EXAMPLES[kind]
    line = Line(kind, "A line", 5000, "USD", trace)
    result = Result("ann", "Ann", "2026-Q2", "USD", (), (line,), 5000)
    text = explain(result, only=line)
    assert f"  {words}" in text


def test_every_kind_lands_on_statements_as_a_kind_of_statement_line() -> None:
    assert set(STATEMENT_KIND) == set(LineKind)
    assert set(STATEMENT_KIND.values()) == set(STATEMENT_LINE_KINDS)
