{{- /* One row per user and simulated week since the user's signup: were they active, how much did they
       learn, and how many weeks after signup is it. The basis for retention by signup cohort. */ -}}
{{ config "materialized" "table" "order_by" "(cohort_week, user_id, week_start_date)" }}
WITH
    signups AS (
        SELECT user_id, toMonday(signup_date) AS cohort_week, signup_date
        FROM {{ ref "users" }}
        WHERE version = 1
    ),
    activity AS (
        SELECT
            user_id,
            week_start_date,
            toUInt32(countIf(status = 'completed')) AS lessons_completed,
            toUInt32(countIf(status = 'failed')) AS lessons_failed,
            toUInt64(sum(xp_earned)) AS xp_earned,
            toUInt32(sum(time_spent_seconds)) AS time_spent_seconds
        FROM {{ ref "user_activity" }}
        GROUP BY user_id, week_start_date
    ),
    participation AS (
        SELECT user_id, week_start_date, any(tier_id) AS tier_id
        FROM {{ ref "ligue_assignment" }}
        WHERE is_current
        GROUP BY user_id, week_start_date
    )
SELECT
    u.user_id AS user_id,
    u.cohort_week AS cohort_week,
    w.week_start_date AS week_start_date,
    toUInt16(dateDiff('week', u.cohort_week, w.week_start_date)) AS weeks_since_signup,
    CAST(p.user_id != 0 AS Bool) AS participated,
    p.tier_id AS tier_id,
    CAST(a.lessons_completed + a.lessons_failed > 0 AS Bool) AS active,
    a.lessons_completed AS lessons_completed,
    a.lessons_failed AS lessons_failed,
    a.xp_earned AS xp_earned,
    a.time_spent_seconds AS time_spent_seconds
FROM signups AS u
CROSS JOIN {{ ref "dim_weeks" }} AS w
LEFT JOIN activity AS a ON a.user_id = u.user_id AND a.week_start_date = w.week_start_date
LEFT JOIN participation AS p ON p.user_id = u.user_id AND p.week_start_date = w.week_start_date
WHERE w.week_start_date >= u.cohort_week
SETTINGS join_use_nulls = 0
