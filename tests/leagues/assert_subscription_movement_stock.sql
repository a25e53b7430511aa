-- mart_subscription_movement adds up. For every week and subscription tier, the moves into the tier
-- minus the moves out of it, summed from the first week through this one, equal the accounts on
-- that tier at the end of the week, read from the users history as of Sunday 23:59:59 (versions
-- with valid_from <= t < valid_to, not deleted). And per week, the moves from '(new)' and to
-- '(deleted)' equal the generator's signups and deletes.
WITH
    weeks AS (
        SELECT week_start_date, toDateTime(week_end_date) + 86399 AS t FROM {{ ref "dim_weeks" }}
    ),
    tiers AS (
        SELECT arrayJoin(['free', 'super', 'max']) AS tier
    ),
    net AS (
        SELECT week_start_date, tier, sum(delta) AS delta
        FROM (
            SELECT week_start_date, to_tier AS tier, toInt64(moves) AS delta FROM {{ ref "mart_subscription_movement" }}
            UNION ALL
            SELECT week_start_date, from_tier AS tier, -toInt64(moves) AS delta FROM {{ ref "mart_subscription_movement" }}
        )
        GROUP BY week_start_date, tier
    ),
    flow AS (
        SELECT w.week_start_date AS week_start_date, w.t AS t, tr.tier AS tier,
               sum(n.delta) OVER (PARTITION BY tr.tier ORDER BY w.week_start_date
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS accounts_from_moves
        FROM weeks AS w
        CROSS JOIN tiers AS tr
        LEFT JOIN net AS n ON n.week_start_date = w.week_start_date AND n.tier = tr.tier
    ),
    stock AS (
        SELECT w.week_start_date AS week_start_date, toString(u.subscription_tier) AS tier, toInt64(count()) AS accounts
        FROM weeks AS w
        CROSS JOIN {{ ref "users" }} AS u
        WHERE u.valid_from <= w.t AND w.t < u.valid_to AND NOT u.is_deleted
        GROUP BY week_start_date, tier
    ),
    ends AS (
        SELECT week_start_date, sumIf(moves, from_tier = '(new)') AS signups, sumIf(moves, to_tier = '(deleted)') AS deletes
        FROM {{ ref "mart_subscription_movement" }}
        GROUP BY week_start_date
    )
SELECT 'stock' AS problem, f.week_start_date AS week_start_date, f.tier AS tier,
       f.accounts_from_moves AS from_moves, s.accounts AS expected
FROM flow AS f
LEFT JOIN stock AS s ON s.week_start_date = f.week_start_date AND s.tier = f.tier
WHERE f.accounts_from_moves != s.accounts
UNION ALL
SELECT 'signups', t.week_start_date, '', toInt64(e.signups), toInt64(t.signups)
FROM {{ ref "generator_truth" }} AS t LEFT JOIN ends AS e ON e.week_start_date = t.week_start_date
WHERE e.signups != t.signups
UNION ALL
SELECT 'deletes', t.week_start_date, '', toInt64(e.deletes), toInt64(t.deletes)
FROM {{ ref "generator_truth" }} AS t LEFT JOIN ends AS e ON e.week_start_date = t.week_start_date
WHERE e.deletes != t.deletes
SETTINGS join_use_nulls = 0
