"""A hand-written set-based SQL computation of the bench plan, in the benchmark database.

It hard-codes bench/calc/plan.yaml: quarters of 2026; won (and cancelled: the plan has no
clawback) deals closed in the year, EUR converted at the rate in force on the close date
and rounded half-up to the cent; the owner, or the split participants by their percent,
credited while employed (and paid under the plan); the manager and the manager's manager
as of the close date credited the same share; Platform and Analytics x1.5; graduated 4% /
6% above 100% / 8% above 150% of the quarter's quota (prorated by the days paid under the
plan, half-up to the cent); capped at twice a quarter of the target incentive; rounded
half-up to the cent. Only plan assignments to participants are read (not to teams).

It writes what a run writes, into ``bench_participant_results``, ``bench_earning_lines``
and ``bench_credits``: tables created ``LIKE`` the real ones (with their keys and
indexes) plus the same foreign keys (none on credits), so the baseline pays for the same
constraints. Like
a run, it first deletes the scope's rows, then inserts the new ones, in one transaction.
"""

from __future__ import annotations

import asyncpg

TABLES = ("participant_results", "earning_lines", "credits")

_FOREIGN_KEYS = {
    "participant_results": [
        ("participant_id", "participants"), ("plan_version_id", "plan_versions"),
        ("run_id", "calc_runs"),
    ],
    "earning_lines": [("participant_id", "participants"), ("run_id", "calc_runs")],
    "credits": [],  # derived rows written in bulk: the real table has none either
}  # fmt: skip


async def create_tables(conn: asyncpg.Connection) -> None:
    """The baseline's result tables, shaped like the real ones (keys, indexes, foreign keys)."""
    for table in TABLES:
        await conn.execute(f"CREATE TABLE bench_{table} (LIKE {table} INCLUDING ALL)")
        for column, target in _FOREIGN_KEYS[table]:
            await conn.execute(
                f"ALTER TABLE bench_{table} ADD FOREIGN KEY ({column}) REFERENCES {target} (id)"
            )


# Who is paid under the plan, and the days each may be credited (employment narrowed by
# the plan assignment), as the engine's loader computes them.
_PEOPLE = """
CREATE TEMP TABLE b_people ON COMMIT DROP AS
SELECT p.id, p.external_id, pa.participant_id IS NOT NULL AS covered, pa.target,
       greatest(coalesce(p.start_date, '-infinity'), coalesce(pa.first_day, '-infinity'))
           AS first_day,
       least(coalesce(p.end_date, 'infinity'), coalesce(pa.last_day, 'infinity')) AS last_day
FROM participants p
LEFT JOIN (
    SELECT participant_id, min(valid_from) AS first_day,
           CASE WHEN bool_or(valid_to IS NULL) THEN NULL ELSE max(valid_to) END AS last_day,
           (array_agg(target_incentive_minor ORDER BY valid_from DESC))[1] AS target
    FROM plan_assignments
    WHERE plan_key = $1 AND participant_id IS NOT NULL
      AND valid_from <= $3 AND coalesce(valid_to, 'infinity') >= $2
    GROUP BY participant_id
) pa ON pa.participant_id = p.id
"""

# One row per credit: direct (owner or split), then two levels of rollup.
_ROWS = """
CREATE TEMP TABLE b_rows ON COMMIT DROP AS
WITH fx AS (
    SELECT currency, rate, on_date AS from_day,
           lead(on_date, 1, 'infinity') OVER (PARTITION BY currency ORDER BY on_date) AS next_day
    FROM fx_rates WHERE to_currency = 'USD'
), deal AS (
    SELECT d.id, d.owner_id, d.close_date, q.label AS period,
           CASE WHEN d.currency = 'USD' THEN d.amount_minor
                ELSE round(d.amount_minor * fx.rate)::bigint END AS payout,
           CASE WHEN d.product IN ('Platform', 'Analytics') THEN 1.5 ELSE 1 END AS factor
    FROM deals d
    JOIN periods q ON q.kind = 'quarter' AND d.close_date BETWEEN q.start_date AND q.end_date
    LEFT JOIN fx ON fx.currency = d.currency
        AND d.close_date >= fx.from_day AND d.close_date < fx.next_day
    WHERE d.status IN ('won', 'cancelled') AND d.close_date BETWEEN $1 AND $2
), direct AS (
    SELECT deal.*, deal.owner_id AS person, 1::numeric AS share, 'owner' AS source
    FROM deal WHERE NOT EXISTS (SELECT FROM deal_splits s WHERE s.deal_id = deal.id)
    UNION ALL
    SELECT deal.*, s.participant_id, s.percent / 100, 'split'
    FROM deal JOIN deal_splits s ON s.deal_id = deal.id
), credited AS (
    SELECT r.* FROM direct r
    JOIN b_people p ON p.id = r.person AND r.close_date BETWEEN p.first_day AND p.last_day
), level1 AS (
    SELECT r.id, r.close_date, r.period, r.payout, r.factor, a.manager_id AS person, r.share,
           r.person AS via
    FROM credited r
    JOIN assignments a ON a.participant_id = r.person
        AND r.close_date BETWEEN a.valid_from AND coalesce(a.valid_to, 'infinity')
    WHERE a.manager_id IS NOT NULL AND a.manager_id <> r.person
), level2 AS (
    SELECT r.id, r.close_date, r.period, r.payout, r.factor, a.manager_id AS person, r.share,
           r.via
    FROM level1 r
    JOIN assignments a ON a.participant_id = r.person
        AND r.close_date BETWEEN a.valid_from AND coalesce(a.valid_to, 'infinity')
    WHERE a.manager_id IS NOT NULL AND a.manager_id <> r.person
), rollup AS (
    SELECT * FROM level1 UNION ALL SELECT * FROM level2
)
SELECT person, period, id AS deal_id, source, NULL::bigint AS via, share, payout, factor
FROM credited
UNION ALL
SELECT r.person, r.period, r.id, 'rollup', r.via, r.share, r.payout, r.factor
FROM rollup r
JOIN b_people p ON p.id = r.person AND r.close_date BETWEEN p.first_day AND p.last_day
"""

# Per participant and quarter: credit, prorated quota, tiers, cap, rounding.
_PAY = """
CREATE TEMP TABLE b_pay ON COMMIT DROP AS
WITH sums AS (
    SELECT person, period, sum(payout * share * factor) AS value,
           sum(payout * share) FILTER (WHERE factor <> 1) AS multiplied,
           bool_or(payout <> 0) AS own_credit
    FROM b_rows GROUP BY person, period
), cell AS (
    SELECT p.id, p.target, q.label AS period, q.end_date - q.start_date + 1 AS days,
           greatest(0, least(q.end_date, p.last_day) - greatest(q.start_date, p.first_day) + 1)
               AS active,
           s.value, s.multiplied, coalesce(s.own_credit, false) AS own_credit,
           round(qu.amount * 100) AS full_quota
    FROM b_people p
    JOIN periods q ON q.kind = 'quarter' AND q.start_date <= $2 AND q.end_date >= $1
    LEFT JOIN sums s ON s.person = p.id AND s.period = q.label
    LEFT JOIN quotas qu ON qu.participant_id = p.id AND qu.period = q.label
        AND qu.measure = 'bookings'
    WHERE p.covered AND p.first_day <= q.end_date AND p.last_day >= q.start_date
), quota AS (
    SELECT cell.*, coalesce(value, 0) AS v,
           CASE WHEN active >= days THEN full_quota
                ELSE round(full_quota * active / days) END AS q,
           2 * target * 3 / 12.0 AS cap
    FROM cell WHERE active > 0 OR value IS NOT NULL
), tiers AS (
    SELECT quota.*,
           CASE WHEN q > 0 THEN 0.04 * least(v, q)
                              + 0.06 * greatest(0, least(v, 1.5 * q) - q)
                              + 0.08 * greatest(0, v - 1.5 * q)
                ELSE 0 END AS earned
    FROM quota
)
SELECT tiers.*, least(earned, cap) AS capped, round(least(earned, cap))::bigint AS amount
FROM tiers
"""

_DELETE = "DELETE FROM bench_{table} WHERE plan_key = $1 AND period = ANY($2::text[])"

_RESULTS = """
INSERT INTO bench_participant_results
    (participant_id, plan_key, period, plan_version_id, run_id, currency, total_minor,
     measures, notes)
SELECT id, $1, period, $2, $3, 'USD', amount,
       jsonb_build_array(jsonb_build_object(
           'key', 'bookings', 'name', 'Bookings', 'is_money', true,
           'value', trim_scale(v / 100)::text,
           'quota', trim_scale(q / 100)::text,
           'full_quota', trim_scale(full_quota / 100)::text,
           'days_active', active, 'days_in_period', days,
           'attainment', CASE WHEN q > 0 THEN trim_scale(v / q)::text END,
           'multiplied', CASE WHEN multiplied IS NULL THEN '[]'::jsonb
                              ELSE jsonb_build_array(jsonb_build_array(
                                   '1.5', trim_scale(multiplied / 100)::text)) END,
           'year_to_date', false)),
       CASE WHEN full_quota IS NULL THEN '["No quota for Bookings in ' || period || '."]'
            ELSE '[]' END::jsonb
FROM b_pay
WHERE amount <> 0 OR full_quota IS NOT NULL OR own_credit
"""


def _step(lower: str, upper: str, rate: str, base: str) -> str:
    return (
        f"jsonb_build_object('lower', trim_scale({lower} / 100)::text,"
        f" 'upper', trim_scale({upper} / 100)::text, 'rate', '{rate}',"
        f" 'base', trim_scale({base} / 100)::text,"
        f" 'earned', trim_scale({base} * {rate} / 100)::text)"
    )


_LINES = f"""
INSERT INTO bench_earning_lines
    (participant_id, plan_key, period, line_no, component, name, amount_minor, currency,
     trace, run_id)
SELECT id, $1, period, 1, 'commission', 'Bookings commission', amount, 'USD',
       jsonb_build_object(
           'kind', 'tiered', 'measure', 'bookings', 'method', 'graduated on attainment',
           'steps', CASE WHEN q <= 0 THEN '[]'::jsonb
                         WHEN v <= q THEN jsonb_build_array({_step("0", "q", "0.04", "v")})
                         WHEN v <= 1.5 * q THEN jsonb_build_array(
                             {_step("0", "q", "0.04", "q")},
                             {_step("q", "1.5 * q", "0.06", "v - q")})
                         ELSE jsonb_build_array(
                             {_step("0", "q", "0.04", "q")},
                             {_step("q", "1.5 * q", "0.06", "0.5 * q")},
                             jsonb_build_object(
                                 'lower', trim_scale(1.5 * q / 100)::text, 'upper', NULL,
                                 'rate', '0.08', 'base', trim_scale((v - 1.5 * q) / 100)::text,
                                 'earned', trim_scale((v - 1.5 * q) * 0.08 / 100)::text)) END,
           'milestones', '[]'::jsonb, 'gate', NULL, 'gate_met', NULL,
           'cap', trim_scale(cap / 100)::text,
           'before_cap', CASE WHEN earned > cap THEN trim_scale(earned / 100)::text END,
           'unrounded', trim_scale(capped / 100)::text, 'rounding', 'half_up',
           'year_to_date', NULL, 'previously_paid', NULL, 'deals', '[]'::jsonb,
           'draw', NULL, 'draw_balance', NULL,
           'note', CASE WHEN q > 0 THEN '' ELSE 'no quota: attainment tiers pay nothing' END),
       $2
FROM b_pay
WHERE amount <> 0
"""

# One row of credit arrays per participant and quarter, as a run stores them.
_CREDITS = """
INSERT INTO bench_credits
    (participant_id, plan_key, period, run_id, minor_places, deal_ids, sources, via_ids,
     shares, payout_minor)
SELECT r.person, $1, r.period, $2, 2, array_agg(r.deal_id),
       array_agg(CASE r.source WHEN 'owner' THEN 0 WHEN 'split' THEN 1 ELSE 2 END),
       array_agg(coalesce(r.via, 0)), array_agg(round(r.share * 1000000)::int),
       array_agg(r.payout)
FROM b_rows r
JOIN b_people p ON p.id = r.person AND p.covered
GROUP BY r.person, r.period
"""


async def compute(
    conn: asyncpg.Connection,
    *,
    plan_key: str,
    plan_version_id: int,
    run_id: int,
    first: object,
    last: object,
    periods: list[str],
) -> dict[str, int]:
    """Compute and write the plan's results for first..last; the rows written per table.

    The caller owns the transaction (the temporary tables go with it)."""
    await conn.execute("SET LOCAL work_mem = '256MB'")
    for table in TABLES:
        await conn.execute(_DELETE.format(table=table), plan_key, periods)
    await conn.execute(_PEOPLE, plan_key, first, last)
    await conn.execute(_ROWS, first, last)
    await conn.execute(_PAY, first, last)
    results = await conn.execute(_RESULTS, plan_key, plan_version_id, run_id)
    lines = await conn.execute(_LINES, plan_key, run_id)
    credit_sets = await conn.execute(_CREDITS, plan_key, run_id)
    return {
        "results": int(results.split()[-1]),
        "lines": int(lines.split()[-1]),
        "credit_sets": int(credit_sets.split()[-1]),
    }
