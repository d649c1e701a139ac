"""Contest and achievement files: read exactly, and refused with every problem and its path."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from incentives.games.model import Achievement, Contest, PointsScore, StreakTrigger
from incentives.plans.load import read_document

CONTEST = """\
kind: contest
key: march-blitz
name: March blitz
window: {from: 2026-03-01, to: 2026-03-31}
currency: USD
participants: {teams: [east, west], where: {field: start_date, below: 2026-03-01}}
score: {type: total, source: deals, aggregate: sum, where: {field: product, equals: Platform}}
scope: teams
team_score: average
ranking:
  basis: percent_of_target
  target: {measure: bookings, period: 2026-Q1}
prizes:
  - {rank: 1, cash: 1000.50, badge: blitz-winner, points: 100}
  - {rank: 2, to_rank: 3, points: 50}
  - {at_least: 100%, badge: blitz-finisher}
"""


def read(tmp_path: Path, text: str) -> tuple[object, list[tuple[str, str]]]:
    path = tmp_path / "game.yaml"
    path.write_text(text, encoding="utf-8")
    document, problems = read_document(path)
    assert all(p.file == path for p in problems)
    return document, [(p.path, p.message) for p in problems]


def test_a_contest_file_reads_exactly(tmp_path: Path) -> None:
    contest, problems = read(tmp_path, CONTEST)
    assert problems == []
    assert isinstance(contest, Contest)
    assert contest.prizes[0].cash == Decimal("1000.50")
    assert contest.prizes[2].at_least is not None and contest.prizes[2].at_least.percent
    assert contest.is_money and contest.scope == "teams"


def test_points_per_event(tmp_path: Path) -> None:
    text = """\
kind: contest
key: activity-week
name: Activity week
window: {from: 2026-03-02, to: 2026-03-08}
score:
  type: points
  per:
    - {source: activities, points: 10, where: {field: type, equals: meeting}}
    - {source: deals, points: 50}
prizes: [{rank: 1, badge: top-hustler}]
"""
    contest, problems = read(tmp_path, text)
    assert problems == []
    assert isinstance(contest, Contest) and isinstance(contest.score, PointsScore)
    assert [p.points for p in contest.score.per] == [Decimal(10), Decimal(50)]
    assert not contest.is_money


def test_every_problem_of_a_contest_with_its_path(tmp_path: Path) -> None:
    text = (
        CONTEST.replace("currency: USD\n", "")
        .replace("to: 2026-03-31", "to: 2026-02-01")
        .replace("period: 2026-Q1", "period: Q1")
        .replace("{rank: 2, to_rank: 3, points: 50}", "{rank: 1, to_rank: 3, points: 50}")
        .replace("{at_least: 100%, badge: blitz-finisher}", "{at_least: 5000, badge: Finisher}")
        .replace("field: start_date", "field: team")
    )
    _, problems = read(tmp_path, text)
    assert problems == [
        ("window.to", "ends before it starts"),
        ("currency", "missing: a score of deal amounts need a currency"),
        (
            "participants.where.field",
            "participants have no field 'team': id, name, email, currency, start_date, end_date",
        ),
        ("ranking.target.period", "a period label: 2026, 2026-Q1 or 2026-03"),
        ("prizes[1].rank", "overlaps the ranks of prizes[0]"),
        ("prizes[2].at_least", "the ranking is on percent of target: a percentage (e.g. 100%)"),
        ("prizes[2].badge", "use lower-case letters, digits, '-' and '_' only"),
    ]


def test_form_problems_name_the_key(tmp_path: Path) -> None:
    text = CONTEST.replace("scope: teams", "scope: squads").replace("team_score", "team_scor")
    _, problems = read(tmp_path, text)
    assert problems == [
        ("team_scor", "unknown key; did you mean 'team_score'?"),
        ("scope", "must be one of: individuals, teams (got 'squads')"),
    ]


def test_a_prize_must_award_something_and_percent_needs_a_target(tmp_path: Path) -> None:
    text = CONTEST.replace("  target: {measure: bookings, period: 2026-Q1}\n", "").replace(
        "{rank: 2, to_rank: 3, points: 50}", "{rank: 2, to_rank: 1}"
    )
    _, problems = read(tmp_path, text)
    assert problems == [
        ("ranking.target", "missing: ranking on percent of target needs a target"),
        ("prizes[1].to_rank", "must be at or after rank"),
        ("prizes[1]", "award something: points, a badge or cash"),
    ]


TARGET = "  target: {measure: bookings, period: 2026-Q1}\n"


def test_reaching_first_is_measured_on_arrival_unless_the_event_is_asked_for(
    tmp_path: Path,
) -> None:
    plain, _ = read(tmp_path, CONTEST)
    assert isinstance(plain, Contest) and plain.ranking.reached_on == "received"
    by_event, problems = read(tmp_path, CONTEST.replace(TARGET, TARGET + "  reached_by: event\n"))
    assert problems == []
    assert isinstance(by_event, Contest) and by_event.ranking.reached_on == "event"


def test_reached_by_is_one_of_two_and_only_for_first_to_reach(tmp_path: Path) -> None:
    _, problems = read(tmp_path, CONTEST.replace(TARGET, TARGET + "  reached_by: arrival\n"))
    assert problems == [("ranking.reached_by", "must be one of: event, received (got 'arrival')")]
    shared = TARGET + "  tie_break: shared\n  reached_by: event\n"
    _, problems = read(tmp_path, CONTEST.replace(TARGET, shared))
    assert problems == [
        ("ranking.reached_by", "only with tie_break: first_to_reach; shared ranks do not use it")
    ]


ACHIEVEMENT = """\
kind: achievement
key: hat-trick
version: 1
name: Hat trick
effective: {from: 2026-01-01, to: 2026-12-31}
when: {type: streak, measure: bookings, periods: 3, attainment: 100%, period: quarter}
points: 500
badge: hat-trick
"""


def test_an_achievement_file_reads(tmp_path: Path) -> None:
    rule, problems = read(tmp_path, ACHIEVEMENT)
    assert problems == []
    assert isinstance(rule, Achievement) and isinstance(rule.when, StreakTrigger)
    assert rule.when.attainment == Decimal(1)


def test_achievement_problems(tmp_path: Path) -> None:
    text = ACHIEVEMENT.replace("periods: 3", "periods: 1").replace("points: 500\n", "")
    text = text.replace("badge: hat-trick\n", "")
    assert read(tmp_path, text)[1] == [
        ("points", "award something: points or a badge"),
        ("when.periods", "must be between 2 and 24"),
    ]
    text = ACHIEVEMENT.replace("type: streak", "type: marathon")
    assert read(tmp_path, text)[1] == [
        (
            "when.type",
            "must be one of: deal, first_deal, activities, streak, levels (got 'marathon')",
        )
    ]
    levels = ACHIEVEMENT.replace(
        "when: {type: streak, measure: bookings, periods: 3, attainment: 100%, period: quarter}",
        "when: {type: levels, levels: [{name: bronze, points: 100}, {name: silver, points: 50}]}",
    )
    assert read(tmp_path, levels)[1] == [
        ("points", "levels award their own badges; leave out points and badge"),
        ("when.levels[1].points", "levels must go up in order"),
    ]


def test_an_unknown_kind_lists_every_kind(tmp_path: Path) -> None:
    assert read(tmp_path, "kind: raffle\nkey: x\n")[1] == [
        ("kind", "must be one of: commission, contest, achievement (got 'raffle')")
    ]


def test_a_contest_key_needs_a_letter(tmp_path: Path) -> None:
    text = CONTEST.replace("key: march-blitz", "key: '2026'")
    assert read(tmp_path, text)[1] == [
        ("key", "needs a letter: a number alone reads as a contest's id")
    ]
