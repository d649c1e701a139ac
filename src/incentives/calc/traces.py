"""How a line was computed, as the API answers it: one shape per kind of line, tagged on
``kind``.

Every earning and statement line carries a trace. The engine writes one flat ``Trace``
(engine/results.py) for all its kinds, so the fields a kind never sets are stored at that
struct's defaults; the shapes here declare the fields each kind can carry, and
``line_trace`` leaves those defaults out. Anything else a stored trace holds must be
declared: the shapes forbid unknown fields, so a field a writer adds without its shape
fails instead of vanishing from answers. Stored traces are kept for good (a closed
period's are frozen), so a field added later needs a default here for those before it.

Amounts, ratios and rates are exact decimals written as text (never floats), as they were
stored: amounts in major units of the line's currency, counts for count measures.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Annotated, Any, Union, get_args

import msgspec
from msgspec import Meta

from incentives.engine.results import LineKind, Trace

# The API's name for the engine's vocabulary of lines.
TraceKind = LineKind


class Rounding(enum.StrEnum):
    """How a plan rounds each line to the currency's minor unit."""

    HALF_UP = "half_up"
    HALF_EVEN = "half_even"
    DOWN = "down"


class CapBasis(enum.StrEnum):
    """What a cap is worked out from, as the plan states it."""

    AMOUNT = "amount"
    MULTIPLE_OF_TARGET = "multiple_of_target"


class DrawRecoveryRule(enum.StrEnum):
    """How a recoverable draw's balance is repaid: from pay above the draw while it runs,
    or from all earnings before any new top-up."""

    EXCESS_OVER_DRAW = "excess_over_draw"
    FULL = "full"


class TierMethod(enum.StrEnum):
    """How a tiered component applies its rates, and what its tiers are bands of."""

    GRADUATED_ON_ATTAINMENT = "graduated on attainment"
    GRADUATED_ON_AMOUNT = "graduated on amount"
    RETROACTIVE_ON_ATTAINMENT = "retroactive on attainment"
    RETROACTIVE_ON_AMOUNT = "retroactive on amount"


# Python's text of a Decimal: what the engine's exact figures are stored as.
Exact = Annotated[str, Meta(pattern=r"^-?\d+(\.\d+)?(E[+-]\d+)?$")]


class TierStep(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One step of a rate table that paid, and what it earned."""

    lower: Annotated[Exact, Meta(description="Where the step starts, on the measure's scale.")]
    upper: Annotated[Exact, Meta(description="Where it ends; null: no upper bound.")] | None
    rate: Annotated[
        Exact,
        Meta(
            description="A fraction of the base (0.08 is 8%), or an amount per unit for a"
            " count measure or a per-unit rate."
        ),
    ]
    base: Annotated[
        Exact,
        Meta(
            description="What the rate applies to: the part of the measure inside the step"
            " (all of it for a retroactive tier or a flat rate; the deal count for a SPIFF)."
        ),
    ]
    earned: Annotated[Exact, Meta(description="What the step earned, exact.")]


class DealChange(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A deal whose credit to a closed period changed since the period last paid."""

    deal: Annotated[str, Meta(description="The deal's external id.")]
    deal_id: Annotated[int, Meta(description="The deal's internal id.")]
    before: Annotated[Exact, Meta(description="Its credit then; null: none.")] | None
    after: Annotated[Exact, Meta(description="Its credit now; null: none.")] | None


class _Shape(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, tag_field="kind"
):
    """A trace of one kind: the subclass's tag."""


class _YearToDate(_Shape, frozen=True, kw_only=True):
    """A line of the plan's own rules, which a year-to-date true-up recomputes each period."""

    year_to_date: (
        Annotated[
            Exact,
            Meta(description="Year-to-date plans: the line for the fiscal year so far; else null."),
        ]
        | None
    )
    previously_paid: (
        Annotated[
            Exact,
            Meta(description="Year-to-date plans: what earlier periods of the year paid for it."),
        ]
        | None
    )


class _Capped(_YearToDate, frozen=True, kw_only=True):
    """A line a cap may hold, with what the cap is worked out from (null in traces from
    before it was recorded, and without a cap)."""

    cap_basis: (
        Annotated[CapBasis, Meta(description="A fixed amount, or a multiple of the target.")] | None
    ) = None
    cap_multiple: (
        Annotated[Exact, Meta(description="The multiple of the annual target incentive.")] | None
    ) = None
    cap_target: (
        Annotated[Exact, Meta(description="The participant's annual target incentive.")] | None
    ) = None
    cap_months: (
        Annotated[int, Meta(description="The months of twelve the cap is pro rata to.")] | None
    ) = None


class _Earned(_Capped, frozen=True, kw_only=True):
    """A component's line: what it earned, perhaps capped, then rounded."""

    unrounded: Annotated[Exact, Meta(description="The exact amount, after any cap, unrounded.")]
    rounding: Annotated[Rounding, Meta(description="How the plan rounds it to the minor unit.")]
    cap: Annotated[Exact, Meta(description="The component's cap; null: none.")] | None
    before_cap: (
        Annotated[Exact, Meta(description="What it earned before the cap, when the cap cut it.")]
        | None
    )


class _Stepped(_Earned, frozen=True, kw_only=True):
    """A component paying by a rate table."""

    steps: Annotated[list[TierStep], Meta(description="The steps that paid, in order.")]


class _Gated(_Stepped, frozen=True, kw_only=True):
    """A component on a measure, which may be gated on attainment."""

    measure: Annotated[str, Meta(description="The key of the measure it pays on.")]
    gate: (
        Annotated[Exact, Meta(description="The attainment it needs to pay at all (0.5 is 50%).")]
        | None
    )
    gate_met: (
        Annotated[bool, Meta(description="Whether the gate was reached; no steps if not.")] | None
    )


class RateTrace(_Gated, frozen=True, kw_only=True, tag=LineKind.RATE.value):
    """A rate component: one rate on the measure, or a step per deal rate."""


class TieredTrace(_Gated, frozen=True, kw_only=True, tag=LineKind.TIERED.value):
    """A tiered component: rates by band of the measure or of attainment."""

    method: (
        Annotated[TierMethod, Meta(description="How the tiers apply; null: the gate was missed.")]
        | None
    )
    note: Annotated[str, Meta(description="Why it paid nothing, without a quota; else empty.")]


class BonusTrace(_Earned, frozen=True, kw_only=True, tag=LineKind.BONUS.value):
    """A bonus component: fixed amounts at attainment milestones."""

    measure: Annotated[str, Meta(description="The key of the measure whose attainment counts.")]
    milestones: Annotated[
        list[tuple[Exact, Exact, bool]],
        Meta(description="Each milestone as [attainment it needs, its amount, whether reached]."),
    ]


class SpiffTrace(_Stepped, frozen=True, kw_only=True, tag=LineKind.SPIFF.value):
    """A SPIFF: an amount per qualifying deal, as one step whose base is the deal count."""

    shares: Annotated[
        list[tuple[Exact, int]],
        Meta(
            description="The qualifying deals by credited share: [share, how many deals],"
            " largest share first (empty in traces from before it was recorded)."
        ),
    ] = []


class PlanCapTrace(_Capped, frozen=True, kw_only=True, tag=LineKind.PLAN_CAP.value):
    """The plan's cap on its components' total: what it holds back (zero if not reached)."""

    cap: Annotated[Exact, Meta(description="The plan's cap.")]
    before_cap: Annotated[Exact, Meta(description="The components' total before the cap.")]


class ClawbackTrace(_Shape, frozen=True, kw_only=True, tag=LineKind.CLAWBACK.value):
    """Pay taken back for deals cancelled within the plan's clawback window."""

    deals: Annotated[list[str], Meta(description="The cancelled deals.")]
    unrounded: Annotated[
        Exact, Meta(description="What the periods that paid for them now pay less: the amount.")
    ]


class _Draw(_Shape, frozen=True, kw_only=True):
    """A line of the plan's draw."""

    draw: Annotated[Exact, Meta(description="The guaranteed minimum pay for the period.")]
    draw_balance: Annotated[
        Exact, Meta(description="What is left to recover of earlier top-ups after this line.")
    ]
    # Defaults for the traces stored before these were recorded.
    draw_through: (
        Annotated[
            str,
            Meta(description="The last period the draw covers; null: it has no end date."),
        ]
        | None
    ) = None
    draw_open_ended: (
        Annotated[
            bool,
            Meta(
                description="Whether the draw pays every period (neither for_periods nor"
                " until); null in traces stored before this was recorded."
            ),
        ]
        | None
    ) = None
    recovery: (
        Annotated[
            DrawRecoveryRule,
            Meta(description="How the balance is recovered; null: the draw is not recoverable."),
        ]
        | None
    ) = None


class DrawTrace(_Draw, frozen=True, kw_only=True, tag=LineKind.DRAW.value):
    """The draw topping pay up to the guaranteed minimum."""


class DrawRecoveryTrace(_Draw, frozen=True, kw_only=True, tag=LineKind.DRAW_RECOVERY.value):
    """Earlier top-ups recovered from pay above the minimum."""


class AdjustmentTrace(_Shape, frozen=True, kw_only=True, tag=LineKind.ADJUSTMENT.value):
    """A closed period's change, paid in the first open one: what the plan now says the
    period earned for a component, less what it paid for it."""

    adjusts: Annotated[str, Meta(description="The closed period it adjusts.")]
    component: Annotated[str, Meta(description="The component's key.")]
    paid: Annotated[Exact, Meta(description="What that period paid for it, adjustments too.")]
    now: Annotated[Exact, Meta(description="What it comes to now.")]
    changes: Annotated[
        list[DealChange], Meta(description="The deals whose credit changed since it last paid.")
    ]
    note: Annotated[str, Meta(description="The adjustment in words.")]


class ManualAdjustmentTrace(
    _Shape, frozen=True, kw_only=True, tag=LineKind.MANUAL_ADJUSTMENT.value
):
    """An adjustment made by hand (an accepted dispute), paid on a statement."""

    manual_adjustment: Annotated[int, Meta(description="The manual adjustment's id.")]
    dispute: Annotated[int, Meta(description="The dispute it settles.")] | None
    note: Annotated[str, Meta(description="Its reason.")]


class ContestPrizeTrace(_Shape, frozen=True, kw_only=True, tag=LineKind.CONTEST_PRIZE.value):
    """A contest's cash prize, paid on a statement."""

    contest: Annotated[str, Meta(description="The contest's key.")]
    rank: Annotated[int, Meta(description="The place it was won at; null: not a place.")] | None
    prize_payout: Annotated[int, Meta(description="The prize payout's id.")]
    note: Annotated[str, Meta(description="The prize's name.")]


# typing.Union rather than |: Litestar names a union's OpenAPI schema by its typing form,
# which a PEP 604 union lacks.
LineTrace = Union[  # noqa: UP007
    RateTrace,
    TieredTrace,
    BonusTrace,
    SpiffTrace,
    PlanCapTrace,
    ClawbackTrace,
    DrawTrace,
    DrawRecoveryTrace,
    AdjustmentTrace,
    ManualAdjustmentTrace,
    ContestPrizeTrace,
]

# A line's ``trace`` field, as the answers declare it.
TracedBy = Annotated[
    LineTrace,
    Meta(description="How the line was computed: a shape per kind, told apart by `kind`."),
]

# Each kind's shape (keyed by LineKind members, so by their text too).
SHAPES: dict[str, type[LineTrace]] = {
    LineKind(shape.__struct_config__.tag): shape for shape in get_args(LineTrace)
}

# A stored engine trace with every field at its default: how the fields its kind never
# sets are stored, since the engine's Trace is one struct for every kind.
_UNSET: dict[str, Any] = {
    k: v
    for k, v in msgspec.json.decode(msgspec.json.encode(Trace(kind=LineKind.RATE))).items()
    if k != "kind"
}
_DECLARED: dict[str, frozenset[str]] = {
    kind: frozenset(shape.__struct_fields__) for kind, shape in SHAPES.items()
}
_MISSING = object()


def line_trace(stored: Mapping[str, Any]) -> LineTrace:
    """A stored trace in its kind's shape, without the engine's unset fields.

    Raises ``msgspec.ValidationError`` for a kind without a shape, a declared field missing
    or of another type, and an undeclared field holding anything but the engine's default.
    """
    kind = str(stored.get("kind"))
    declared = _DECLARED.get(kind, frozenset())
    kept = {k: v for k, v in stored.items() if k in declared or v != _UNSET.get(k, _MISSING)}
    # Into the kind's own shape: converting into the union costs three times as much.
    shape: Any = SHAPES.get(kind, LineTrace)
    shaped: LineTrace = msgspec.convert(kept, shape)
    return shaped
