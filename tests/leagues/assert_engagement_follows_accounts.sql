-- mart_user_engagement holds, for each simulated week, exactly the accounts that existed at its start
-- (Monday 00:00:00, after the week's signups, before its deletions): the generator's accounts after
-- the week (users_total) plus the week's deletes. An account deleted in week k has no row after week
-- k, so it leaves the engagement and retention denominators. Nor does a retention cohort lie
-- outside the simulated weeks (its relationships test), or count users the engagement mart lacks.
WITH
    rows_per_week AS (
        SELECT week_start_date, count() AS n FROM {{ ref "mart_user_engagement" }} GROUP BY week_start_date
    ),
    retention AS (
        SELECT r.cohort_week AS cohort_week, r.weeks_since_signup AS weeks_since_signup, r.cohort_users AS cohort_users, e.n AS n
        FROM {{ ref "mart_cohort_retention" }} AS r
        LEFT JOIN (
            SELECT cohort_week, weeks_since_signup, toUInt32(count()) AS n
            FROM {{ ref "mart_user_engagement" }}
            WHERE signed_up_in_period
            GROUP BY cohort_week, weeks_since_signup
        ) AS e ON e.cohort_week = r.cohort_week AND e.weeks_since_signup = r.weeks_since_signup
    )
SELECT 'accounts' AS problem, t.week_start_date AS week_start_date, toUInt64(r.n) AS mart_rows,
       t.users_total + t.deletes AS expected
FROM {{ ref "generator_truth" }} AS t
LEFT JOIN rows_per_week AS r ON r.week_start_date = t.week_start_date
WHERE r.n != t.users_total + t.deletes
UNION ALL
SELECT 'retention denominator', cohort_week, toUInt64(cohort_users), toUInt64(n)
FROM retention
WHERE cohort_users != n
SETTINGS join_use_nulls = 0
