"""The pure scoring of games: ranks, boards, teams, prizes and achievement rules, checked
by hand and against properties that must hold for any input."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from incentives.bounds import Amount
from incentives.engine.plan import Level
from incentives.games import rules, scoring
from incentives.games.model import LevelStep, Prize

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def at(minutes: int | None) -> dt.datetime | None:
    return None if minutes is None else T0 + dt.timedelta(minutes=minutes)


def standing(
    subject: int,
    value: int | None,
    reached: int | None,
    score: int = 0,
    event: str | None = None,
    external_id: str = "",
) -> scoring.Standing:
    figure = Decimal(score if value is None else value)
    return scoring.Standing(
        subject,
        figure,
        None,
        None if value is None else Decimal(value),
        at(reached),
        reaching_event=event if reached is not None else None,
        external_id=external_id,
    )


def test_ties_are_broken_by_who_reached_the_score_first_or_shared() -> None:
    items = [standing(1, 10, 5), standing(2, 10, 3), standing(3, 7, 1), standing(4, 0, None)]
    first = scoring.rank(items, "first_to_reach")
    assert [(r.rank, r.standing.subject) for r in first] == [(1, 2), (2, 1), (3, 3), (4, 4)]
    shared = scoring.rank(items, "shared")
    assert [(r.rank, r.standing.subject) for r in shared] == [(1, 2), (1, 1), (3, 3), (4, 4)]


def test_one_batch_of_equal_scores_ranks_first_and_second_by_the_events_external_ids() -> None:
    # ana and bo drew level at the same moment (one batch): bo's deal D-4 goes before
    # ana's D-9, so bo is 1st and ana 2nd, each with their own prize.
    items = [
        standing(1, 10, 5, event="D-9", external_id="ana"),
        standing(2, 10, 5, event="D-4", external_id="bo"),
        standing(3, 4, 2, event="D-3", external_id="cy"),
    ]
    first = scoring.rank(items, "first_to_reach")
    assert [(r.rank, r.standing.external_id) for r in first] == [(1, "bo"), (2, "ana"), (3, "cy")]
    prizes = [Prize(rank=1, cash=Amount.read(1000)), Prize(rank=2, cash=Amount.read(250))]
    wins = [(w.subject, w.prize_no, w.rank) for w in scoring.winners(first, prizes)]
    assert wins == [(2, 0, 1), (1, 1, 2)]
    shared = scoring.rank(items, "shared")
    assert [(r.rank, r.standing.external_id) for r in shared] == [(1, "bo"), (1, "ana"), (3, "cy")]


def test_one_split_deal_reaching_two_scores_ranks_by_the_participants_external_ids() -> None:
    # The same deal gave both their score: its external id ties too, so "al" goes before "zoe"
    # whatever their ids (the order the participants were created in).
    items = [
        standing(1, 7, 3, event="D-4", external_id="zoe"),
        standing(2, 7, 3, event="D-4", external_id="al"),
    ]
    ranked = scoring.rank(items, "first_to_reach")
    assert [(r.rank, r.standing.external_id) for r in ranked] == [(1, "al"), (2, "zoe")]
    board = scoring.Board("first_to_reach", items)
    assert (board.rank_of(2), board.rank_of(1)) == (1, 2)


def test_no_value_ranks_last_and_zero_scores_share_a_rank() -> None:
    items = [standing(1, None, 2, score=500), standing(2, 0, None), standing(3, 0, None)]
    assert [(r.rank, r.standing.subject) for r in scoring.rank(items, "first_to_reach")] == [
        (1, 2),
        (1, 3),
        (3, 1),
    ]


def test_teams_sum_or_average_and_percent_of_target() -> None:
    members = [
        scoring.Entry(1, 9, Decimal("100"), Decimal("300"), at(4), "D-1"),
        scoring.Entry(2, 9, Decimal("50"), None, at(7), "A-2"),
        scoring.Entry(3, 9, Decimal("0"), Decimal("100"), None),
    ]
    summed = scoring.team(9, members, "sum", "percent_of_target")
    assert (summed.score, summed.target, summed.value) == (
        Decimal(150),
        Decimal(400),
        Decimal("0.375"),
    )
    assert (summed.reached_at, summed.reaching_event, summed.members) == (at(7), "A-2", 3)
    averaged = scoring.team(9, members, "average", "score")
    assert (averaged.score, averaged.value) == (Decimal(50), Decimal(50))
    assert averaged.target == Decimal("133.333333")
    assert scoring.percent_of(Decimal(2), Decimal(3)) == Decimal("0.66666667")
    assert scoring.percent_of(Decimal(2), Decimal(0)) is None


def test_prizes_by_rank_and_by_threshold() -> None:
    ranked = scoring.rank(
        [standing(1, 10, 1), standing(2, 10, 1), standing(3, 5, 2), standing(4, 0, None)], "shared"
    )
    prizes = [
        Prize(rank=1, cash=Amount.read(100)),
        Prize(rank=2, to_rank=3, points=10),
        Prize(at_least=Level(Decimal(5), percent=False), badge="five"),
        Prize(rank=4, points=1),
    ]
    wins = [(w.subject, w.prize_no, w.rank) for w in scoring.winners(ranked, prizes)]
    # Two share first place; the third is 3rd; nobody wins for a zero score.
    assert wins == [(1, 0, 1), (2, 0, 1), (3, 1, 3), (1, 2, 1), (2, 2, 1), (3, 2, 3)]


values = st.one_of(st.none(), st.integers(0, 5))
reached = st.one_of(st.none(), st.integers(0, 5))
events = st.one_of(st.none(), st.sampled_from(["D-1", "D-2", "D-10"]))
# External ids run against the ids (the last tie-break must be the external id, not the id).
standings_lists = st.lists(st.tuples(values, reached, events), max_size=30).map(
    lambda rows: [
        standing(i, v, r, event=e, external_id=f"p{99 - i:02}") for i, (v, r, e) in enumerate(rows)
    ]
)
tie_breaks = st.sampled_from(["first_to_reach", "shared"])


def ahead(a: scoring.Standing, b: scoring.Standing, tie_break: str) -> bool:
    """Whether ``a`` ranks strictly ahead of ``b``, written out directly."""
    if a.value is not None and (b.value is None or a.value > b.value):
        return True
    if a.value != b.value or tie_break == "shared" or a.reached_at is None:
        return False
    if b.reached_at is None or a.reached_at < b.reached_at:
        return True
    if a.reached_at > b.reached_at:
        return False
    return (a.reaching_event or "", a.external_id) < (b.reaching_event or "", b.external_id)


@given(standings_lists)
def test_first_to_reach_never_shares_a_rank_among_those_who_scored(
    items: list[scoring.Standing],
) -> None:
    ranks = [r.rank for r in scoring.rank(items, "first_to_reach") if r.standing.reached_at]
    assert len(ranks) == len(set(ranks))


@given(standings_lists, tie_breaks)
def test_a_rank_is_one_more_than_those_strictly_ahead(
    items: list[scoring.Standing], tie_break: scoring.TieBreak
) -> None:
    ranked = scoring.rank(items, tie_break)
    assert sorted(r.standing.subject for r in ranked) == [s.subject for s in items]
    assert [r.rank for r in ranked] == sorted(r.rank for r in ranked)
    for item in ranked:
        assert item.rank == 1 + sum(ahead(o, item.standing, tie_break) for o in items)


@given(standings_lists, tie_breaks, st.randoms())
def test_ranks_do_not_depend_on_the_order_standings_come_in(
    items: list[scoring.Standing], tie_break: scoring.TieBreak, random: object
) -> None:
    shuffled = list(items)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert scoring.rank(shuffled, tie_break) == scoring.rank(items, tie_break)


changes = st.lists(
    st.tuples(st.integers(0, 12), values, reached, events, st.booleans()), max_size=60
)


@given(changes, tie_breaks)
def test_a_live_board_agrees_with_ranking_from_scratch(
    steps: list[tuple[int, int | None, int | None, str | None, bool]],
    tie_break: scoring.TieBreak,
) -> None:
    board = scoring.Board(tie_break)
    current: dict[int, scoring.Standing] = {}
    for subject, value, when, event, drop in steps:
        if drop:
            board.drop([subject])
            current.pop(subject, None)
        else:
            current[subject] = standing(
                subject, value, when, event=event, external_id=f"p{99 - subject}"
            )
            board.put([current[subject]])
        expected = scoring.rank(current.values(), tie_break)
        assert board.ranked() == expected
        for item in expected:
            assert board.rank_of(item.standing.subject) == item.rank
    assert len(board) == len(current)


members_lists = st.lists(
    st.tuples(st.integers(0, 10_000), st.one_of(st.none(), st.integers(1, 10_000)), reached),
    min_size=1,
    max_size=12,
)


@given(members_lists, st.sampled_from(["sum", "average"]))
def test_a_team_adds_up_its_members(
    members: list[tuple[int, int | None, int | None]], combine: str
) -> None:
    entries = [
        scoring.Entry(i, 1, Decimal(s), None if t is None else Decimal(t), at(r))
        for i, (s, t, r) in enumerate(members)
    ]
    result = scoring.team(1, entries, combine, "percent_of_target")  # type: ignore[arg-type]
    total = sum((Decimal(s) for s, _, _ in members), Decimal(0))
    targets = [Decimal(t) for _, t, _ in members if t is not None]
    if combine == "sum":
        assert result.score == total
        assert result.target == (sum(targets) if targets else None)
    else:
        assert abs(result.score - total / len(members)) <= Decimal("0.0000005")
    reached_all = [r for _, _, r in members if r is not None]
    assert result.reached_at == (at(max(reached_all)) if reached_all else None)
    if result.target:
        assert abs(result.value - result.score / result.target) <= Decimal("0.000000005")  # type: ignore[operator]


@given(standings_lists, st.integers(1, 5), st.integers(0, 3), st.integers(1, 5))
def test_rank_prizes_go_to_exactly_the_ranks_named(
    items: list[scoring.Standing], first: int, extra: int, threshold: int
) -> None:
    ranked = scoring.rank(items, "shared")
    prizes = [
        Prize(rank=first, to_rank=first + extra, points=1),
        Prize(at_least=Level(Decimal(threshold), percent=False), points=1),
    ]
    wins = scoring.winners(ranked, prizes)
    by_rank = {w.subject for w in wins if w.prize_no == 0}
    assert by_rank == {
        r.standing.subject
        for r in ranked
        if first <= r.rank <= first + extra and r.standing.score > 0
    }
    by_threshold = {w.subject for w in wins if w.prize_no == 1}
    assert by_threshold == {
        s.subject for s in items if s.value is not None and s.value >= threshold
    }


# --- achievement rules ------------------------------------------------------------------


occasions = st.sets(st.tuples(st.integers(1, 4), st.sampled_from(["a", "b", "c"])), max_size=8)


@given(
    st.dictionaries(
        st.tuples(st.integers(1, 4), st.sampled_from(["a", "b", "c"])), st.booleans(), max_size=8
    ),
    occasions,
    st.one_of(st.none(), st.sets(st.integers(1, 4))),
)
def test_reconciling_leaves_exactly_what_is_owed_and_twice_changes_nothing(
    recorded: dict[rules.Occasion, bool], owed: set[rules.Occasion], people: set[int] | None
) -> None:
    # The owed occasions are computed for the people in scope only.
    owed = {o for o in owed if people is None or o[0] in people}
    state = {o: rules.Recorded(revoked) for o, revoked in recorded.items()}
    plan = rules.reconcile(state, owed, people)
    for o in plan.award:
        assert o not in state
        state[o] = rules.Recorded(False)
    for o in plan.revoke:
        state[o] = rules.Recorded(True)
    for o in plan.restore:
        state[o] = rules.Recorded(False)

    def scoped(occasion: rules.Occasion) -> bool:
        return people is None or occasion[0] in people

    standing_awards = {o for o, r in state.items() if not r.revoked}
    assert {o for o in standing_awards if scoped(o)} == owed
    # Out of scope, nothing changed.
    assert {o for o in standing_awards if not scoped(o)} == {
        o for o, revoked in recorded.items() if not revoked and not scoped(o)
    }
    again = rules.reconcile(state, owed, people)
    assert (again.award, again.revoke, again.restore) == ([], [], [])


def test_streaks_count_blocks_of_consecutive_periods() -> None:
    one, low = Decimal(1), Decimal("0.99")
    assert rules.streak_ends([one] * 7, 3, one) == [2, 5]
    assert rules.streak_ends([one, one, low, one, one, one, None, one], 3, one) == [5]
    assert rules.streak_ends([one, one], 3, one) == []


@given(
    st.lists(st.one_of(st.none(), st.sampled_from([Decimal(0), Decimal(1)])), max_size=30),
    st.integers(2, 4),
)
def test_each_streak_ends_a_block_of_periods_at_the_mark(
    series: list[Decimal | None], periods: int
) -> None:
    ends = rules.streak_ends(series, periods, Decimal(1))
    runs, run = [], 0
    for value in [*series, None]:
        if value == 1:
            run += 1
        else:
            runs.append(run)
            run = 0
    assert len(ends) == sum(r // periods for r in runs)
    for end in ends:
        assert all(v == 1 for v in series[end - periods + 1 : end + 1])
    assert all(b - a >= periods for a, b in itertools.pairwise(ends))


def test_weeks_are_iso_weeks() -> None:
    assert rules.bucket(dt.date(2026, 3, 9), "week") == "2026-W11"
    assert rules.bucket(dt.date(2026, 3, 15), "week") == "2026-W11"
    assert rules.bucket(dt.date(2027, 1, 1), "week") == "2026-W53"
    assert rules.bucket(dt.date(2026, 3, 9), "month") == "2026-03"
    days = [
        (1, dt.date(2026, 3, 9), Decimal(2)),
        (1, dt.date(2026, 3, 15), Decimal(1)),
        (1, dt.date(2026, 3, 16), Decimal(5)),
        (2, dt.date(2026, 3, 9), Decimal("2.5")),
    ]
    assert rules.activity_occasions(days, "week", Decimal(3)) == [
        (1, "week:2026-W11"),
        (1, "week:2026-W12"),
    ]


def test_levels() -> None:
    levels = [LevelStep("bronze", 50), LevelStep("silver", 150)]
    assert rules.levels_reached(149, levels) == [levels[0]]
    assert rules.next_level(149, levels) == levels[1]
    assert rules.next_level(150, levels) is None
    assert rules.first_deal_owed(dt.date(2026, 3, 1), dt.date(2026, 3, 31), 30)
    assert not rules.first_deal_owed(dt.date(2026, 3, 1), dt.date(2026, 4, 1), 30)
    assert not rules.first_deal_owed(None, dt.date(2026, 4, 1), 30)
