"""Contest scores and achievement facts as set-based SQL, generated from the files (pure).

A contest's conditions become a ``WHERE`` clause, so the database sums only what counts,
for every participant at once (a rebuild) or for the few an ingest touched (an update).
Every value from a file, attribute names included, travels as a query parameter; the
text is assembled only from fragments written here.

Deal credit follows the commission rule: a won deal counts for its split participants
by their percent, or wholly for its owner when it has no splits. Amounts are converted
into the contest's currency at the latest rate on or before the close date, rounded
half-up to the minor unit once per deal; a deal without such a rate does not count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from incentives.engine.conditions import field_kind, is_attribute, parse_value
from incentives.engine.money import KNOWN_CURRENCIES, exponent
from incentives.engine.plan import Condition
from incentives.games.model import (
    ActivitiesTrigger,
    Contest,
    DealTrigger,
    PointsScore,
    ReachedBy,
    TotalScore,
)

# A free attribute compared in a range is read as a number when it looks like one.
_NUMBER = r"^\s*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*$"
_OTHER_EXPONENTS = sorted((c, exponent(c)) for c in KNOWN_CURRENCIES if exponent(c) != 2)


class Params:
    """Query parameters, numbered in the order they are added."""

    def __init__(self, first: Sequence[object] = ()) -> None:
        self.values: list[object] = list(first)

    def add(self, value: object, cast: str) -> str:
        """The placeholder of a new parameter, with its SQL type."""
        self.values.append(value)
        return f"${len(self.values)}::{cast}"


def _exponent_of(column: str) -> str:
    cases = " ".join(f"WHEN '{code}' THEN {places}" for code, places in _OTHER_EXPONENTS)
    return f"CASE {column} {cases} ELSE 2 END"


def converted_amount(currency: str, currency_param: str) -> str:
    """A deal's amount (``d``) in ``currency`` (major units, exact), with the ``fx`` rate
    joined by ``fx_join``; NULL when it has to be converted and no rate is known."""
    shift = f"({exponent(currency)} - {_exponent_of('d.currency')})"
    # Multiplying by the minor unit (0.01) keeps the exact scale a division would lose.
    return (
        f"(CASE WHEN d.currency = {currency_param} THEN d.amount_minor::numeric"
        f" ELSE round(d.amount_minor * fx.rate * power(10::numeric, {shift})) END"
        f" * {Decimal(1).scaleb(-exponent(currency))})"
    )


def fx_join(currency_param: str) -> str:
    """The latest rate into the contest currency on or before a deal's close date."""
    return (
        "LEFT JOIN LATERAL (SELECT f.rate FROM fx_rates f WHERE f.currency = d.currency"
        f" AND f.to_currency = {currency_param} AND f.on_date <= d.close_date"
        f" ORDER BY f.on_date DESC LIMIT 1) fx ON d.currency <> {currency_param}"
    )


Column = Callable[[str, Params], str]
_EXTERNAL_ID = "(SELECT o.external_id FROM participants o WHERE o.id = {column})"


def _deal_column(amount: str | None) -> Column:
    def column(name: str, params: Params) -> str:
        fixed = {
            "id": "d.external_id",
            "owner_id": _EXTERNAL_ID.format(column="d.owner_id"),
            "currency": "d.currency",
            "status": "d.status",
            "product": "coalesce(d.product, '')",
            "close_date": "d.close_date",
            "cancel_date": "d.cancel_date",
        }
        if name == "amount":
            assert amount is not None  # validated: amounts need the contest's currency
            return amount
        if name in fixed:
            return fixed[name]
        return f"coalesce(d.attributes ->> {params.add(name, 'text')}, '')"

    return column


def _activity_column(name: str, params: Params) -> str:
    fixed = {
        "id": "a.external_id",
        "participant_id": _EXTERNAL_ID.format(column="a.participant_id"),
        "type": "a.type",
        "quantity": "a.quantity",
        "occurred_on": "(a.occurred_at AT TIME ZONE 'UTC')::date",
    }
    if name in fixed:
        return fixed[name]
    return f"coalesce(a.attributes ->> {params.add(name, 'text')}, '')"


def _participant_column(name: str, params: Params) -> str:
    return {
        "id": "p.external_id",
        "name": "p.name",
        "email": "coalesce(p.email, '')",
        "currency": "p.currency",
        "start_date": "p.start_date",
        "end_date": "p.end_date",
    }[name]


_CASTS = {"date": "date", "number": "numeric", "text": "text", "any": "text"}


def condition_sql(condition: Condition, source: str, column: Column, params: Params) -> str:
    """A condition on ``source`` rows as a boolean SQL expression (never NULL)."""
    if condition.all is not None:
        return (
            "("
            + " AND ".join(condition_sql(c, source, column, params) for c in condition.all)
            + ")"
        )
    if condition.any is not None:
        return (
            "(" + " OR ".join(condition_sql(c, source, column, params) for c in condition.any) + ")"
        )
    if condition.not_ is not None:
        return f"(NOT {condition_sql(condition.not_, source, column, params)})"
    assert condition.field is not None  # validated
    kind = field_kind(source, condition.field)
    expr = column(condition.field, params)
    if condition.equals is not None or condition.in_ is not None:
        wanted = [condition.equals] if condition.equals is not None else list(condition.in_ or [])
        values = [parse_value(kind, w) for w in wanted if w is not None]
        return f"coalesce({expr} = ANY({params.add(values, _CASTS[kind] + '[]')}), false)"
    if is_attribute(source, condition.field):
        expr = f"(CASE WHEN {expr} ~ '{_NUMBER}' THEN trim({expr})::numeric END)"
        kind = "number"
    tests = []
    if condition.at_least is not None:
        low = params.add(parse_value(kind, condition.at_least), _CASTS[kind])
        tests.append(f"{expr} >= {low}")
    if condition.below is not None:
        high = params.add(parse_value(kind, condition.below), _CASTS[kind])
        tests.append(f"{expr} < {high}")
    return f"coalesce({' AND '.join(tests)}, false)"


def deal_credits(window: tuple[str, str], people: str | None) -> str:
    """Won deals closed in the window (placeholders), one row per credited participant
    (``c.participant_id``, ``c.share``) joined to the deal as ``d``; only for ``people`` (a
    bigint[] placeholder) when given."""
    low, high = window
    mine_owner = f" AND d.owner_id = ANY({people})" if people else ""
    mine_split = f" AND x.participant_id = ANY({people})" if people else ""
    return (
        "(SELECT d.id AS deal_id, d.owner_id AS participant_id, 1::numeric AS share"
        f" FROM deals d WHERE d.status = 'won' AND d.close_date BETWEEN {low} AND {high}"
        f"{mine_owner} AND NOT EXISTS (SELECT 1 FROM deal_splits s WHERE s.deal_id = d.id)"
        " UNION ALL SELECT x.deal_id, x.participant_id, x.percent * 0.01 FROM deal_splits x"
        f" JOIN deals d ON d.id = x.deal_id WHERE d.status = 'won'"
        f" AND d.close_date BETWEEN {low} AND {high}{mine_split}) c"
        " JOIN deals d ON d.id = c.deal_id"
    )


def activities_in(window: tuple[str, str], people: str | None) -> str:
    """Activities on the window's days (UTC), as ``a``; only for ``people`` when given."""
    low, high = window
    mine = f" AND a.participant_id = ANY({people})" if people else ""
    return (
        f"activities a WHERE a.occurred_at >= {low}::timestamp AT TIME ZONE 'UTC'"
        f" AND a.occurred_at < ({high} + 1)::timestamp AT TIME ZONE 'UTC'{mine}"
    )


@dataclass(frozen=True)
class Query:
    """Generated SQL and its values; the participant ids (scoped queries) and the day team
    membership is read on (contest entries) are filled in per run."""

    sql: str
    values: tuple[object, ...]
    people_at: int | None = None
    day_at: int | None = None

    def args(self, people: Sequence[int] = (), day: dt.date | None = None) -> list[object]:
        """The arguments for one run."""
        out = list(self.values)
        if self.people_at is not None:
            out[self.people_at] = list(people)
        if self.day_at is not None:
            out[self.day_at] = day
        return out


def _start(first: dt.date, last: dt.date, scoped: bool) -> tuple[Params, str | None]:
    """Parameters beginning with a span of days ($1, $2) and, scoped, the people ($3)."""
    params = Params([first, last, *([None] if scoped else [])])
    return params, "$3::bigint[]" if scoped else None


def entries_query(contest: Contest, *, scoped: bool) -> Query:
    """The query computing a contest's entries (participant, team, score, when and with
    which event it was reached, target): everyone's, or (``scoped``) only the given people's."""
    window = contest.window
    params, people = _start(window.from_, window.to, scoped)
    day, day_at = params.add(None, "date"), len(params.values) - 1
    rules = _rules(contest)
    # Only deals are converted: a parameter no part refers to would make the query fail
    # (an activity contest has a currency for its cash prizes).
    currency = None
    if contest.currency is not None and any(rule[0] == "deals" for rule in rules):
        currency = params.add(contest.currency, "text")
    amount = None
    if currency is not None and contest.currency is not None:
        amount = converted_amount(contest.currency, currency)
    on = contest.ranking.reached_on
    parts = [_score_part(rule, params, SPAN, people, currency, amount, on) for rule in rules]
    # The reaching event is the last that counts, by time and then by external id, in
    # code-point order ("C") as the board sorts it.
    scores = (
        "SELECT participant_id, sum(value) AS score,"
        " max(at) FILTER (WHERE value > 0) AS reached_at,"
        ' (array_agg(event ORDER BY at DESC, event COLLATE "C" DESC)'
        " FILTER (WHERE value > 0))[1] AS reaching_event"
        f" FROM ({' UNION ALL '.join(parts)}) v WHERE value IS NOT NULL GROUP BY participant_id"
    )
    eligible = _eligible(contest, params, people, day)
    target = _target(contest, params)
    sql = (
        f"WITH eligible AS ({eligible}), scores AS ({scores})"
        " SELECT e.participant_id, e.team_id, coalesce(s.score, 0) AS score, s.reached_at,"
        " s.reaching_event,"
        f" {target} AS target FROM eligible e LEFT JOIN scores s USING (participant_id)"
    )
    return Query(sql, tuple(params.values), 2 if scoped else None, day_at)


def eligible_query(contest: Contest) -> Query:
    """Who takes part in a contest (participant, team), with team membership read on the
    day given to each run."""
    window = contest.window
    params = Params([window.from_, window.to])
    day, day_at = params.add(None, "date"), len(params.values) - 1
    sql = _eligible(contest, params, None, day)
    return Query(sql, tuple(params.values), None, day_at)


SPAN = ("$1::date", "$2::date")


# A scoring rule: what it counts (deals or activities), the points per event (None: a
# total), how it aggregates (sum, count or points) and its condition.
Rule = tuple[str, Decimal | None, str, Condition | None]


def _rules(contest: Contest) -> list[Rule]:
    score = contest.score
    if isinstance(score, TotalScore):
        return [(score.source, None, score.aggregate, score.where)]
    assert isinstance(score, PointsScore)
    return [(r.source, r.points, "points", r.where) for r in score.per]


# When an event reached its score. A deal has only a close date: the start of that day (UTC).
_DEAL_AT: dict[ReachedBy, str] = {
    "event": "(d.close_date::timestamp AT TIME ZONE 'UTC')",
    "received": "d.updated_at",
}
_ACTIVITY_AT: dict[ReachedBy, str] = {"event": "a.occurred_at", "received": "a.updated_at"}


def _score_part(
    rule: Rule,
    params: Params,
    span: tuple[str, str],
    people: str | None,
    currency_param: str | None,
    amount: str | None,
    on: ReachedBy,
) -> str:
    """One rule's contributions: participant, value, time (its own, or its arrival: ``on``)
    and external id of each event."""
    source, points, aggregate, where = rule
    # Points are added as a parameter only when they are used: placeholders are numbered.
    each = params.add(points, "numeric") if aggregate == "points" else ""
    if source == "deals":
        value = {"sum": f"{amount} * c.share", "count": "c.share", "points": f"{each} * c.share"}
        test = "true"
        if where is not None:
            test = condition_sql(where, "deals", _deal_column(amount), params)
        fx = "" if currency_param is None else fx_join(currency_param)
        return (
            f"SELECT c.participant_id, {value[aggregate]} AS value, {_DEAL_AT[on]} AS at,"
            f" d.external_id AS event FROM {deal_credits(span, people)} {fx} WHERE {test}"
        )
    value = {"sum": "a.quantity", "count": "1::numeric", "points": f"{each} * a.quantity"}
    test = "true"
    if where is not None:
        test = condition_sql(where, "activities", _activity_column, params)
    return (
        f"SELECT a.participant_id, {value[aggregate]} AS value, {_ACTIVITY_AT[on]} AS at,"
        f" a.external_id AS event FROM {activities_in(span, people)} AND {test}"
    )


def _eligible(contest: Contest, params: Params, people: str | None, day: str) -> str:
    who = contest.participants
    tests = [
        "(p.start_date IS NULL OR p.start_date <= $2::date)",
        "(p.end_date IS NULL OR p.end_date >= $1::date)",
    ]
    if people:
        tests.append(f"p.id = ANY({people})")
    if who.participants is not None:
        tests.append(f"p.external_id = ANY({params.add(who.participants, 'text[]')})")
    if who.teams is not None:
        teams = params.add(who.teams, "text[]")
        tests.append(f"t.team_id IN (SELECT id FROM teams WHERE external_id = ANY({teams}))")
    if contest.scope == "teams":
        tests.append("t.team_id IS NOT NULL")
    if who.where is not None:
        tests.append(condition_sql(who.where, "participants", _participant_column, params))
    return (
        "SELECT p.id AS participant_id, t.team_id FROM participants p"
        " LEFT JOIN LATERAL (SELECT a.team_id FROM assignments a WHERE a.participant_id = p.id"
        f" AND a.valid_from <= {day} AND (a.valid_to IS NULL OR a.valid_to >= {day})"
        " LIMIT 1) t ON true WHERE " + " AND ".join(tests)
    )


def _target(contest: Contest, params: Params) -> str:
    target = contest.ranking.target
    if target is None:
        return "NULL::numeric"
    measure, period = params.add(target.measure, "text"), params.add(target.period, "text")
    return (
        f"(SELECT q.amount * greatest(least(pe.end_date, $2::date)"
        " - greatest(pe.start_date, $1::date) + 1, 0) / (pe.end_date - pe.start_date + 1)"
        " FROM quotas q JOIN periods pe ON pe.label = q.period"
        f" WHERE q.participant_id = e.participant_id AND q.measure = {measure}"
        f" AND q.period = {period})"
    )


def deal_awards_query(
    trigger: DealTrigger, currency: str | None, first: dt.date, last: dt.date, *, scoped: bool
) -> Query:
    """Won deals closed from ``first`` to ``last`` matching the trigger: (participant
    credited, deal's external id)."""
    params, people = _start(first, last, scoped)
    currency_param = None if currency is None else params.add(currency, "text")
    amount = (
        None
        if currency is None or currency_param is None
        else converted_amount(currency, currency_param)
    )
    test = (
        "true"
        if trigger.where is None
        else condition_sql(trigger.where, "deals", _deal_column(amount), params)
    )
    fx = "" if currency_param is None else fx_join(currency_param)
    sql = (
        "SELECT DISTINCT c.participant_id, d.external_id AS deal"
        f" FROM {deal_credits(SPAN, people)} {fx} WHERE {test}"
    )
    return Query(sql, tuple(params.values), 2 if scoped else None)


def first_deals_query(last: dt.date, *, scoped: bool) -> Query:
    """Each participant's start date and the close date of their first won deal until
    ``last``."""
    params, people = _start(dt.date.min, last, scoped)
    sql = (
        "SELECT c.participant_id, p.start_date, min(d.close_date) AS first_close"
        f" FROM {deal_credits(SPAN, people)} JOIN participants p ON p.id = c.participant_id"
        " GROUP BY c.participant_id, p.start_date"
    )
    return Query(sql, tuple(params.values), 2 if scoped else None)


def activity_days_query(
    trigger: ActivitiesTrigger, first: dt.date, last: dt.date, *, scoped: bool
) -> Query:
    """Per participant and day (UTC), the quantity of activities matching the trigger."""
    params, people = _start(first, last, scoped)
    test = (
        "true"
        if trigger.where is None
        else condition_sql(trigger.where, "activities", _activity_column, params)
    )
    sql = (
        "SELECT a.participant_id, (a.occurred_at AT TIME ZONE 'UTC')::date AS day,"
        f" sum(a.quantity) AS quantity FROM {activities_in(SPAN, people)} AND {test}"
        " GROUP BY 1, 2"
    )
    return Query(sql, tuple(params.values), 2 if scoped else None)
