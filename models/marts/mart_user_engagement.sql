{{- /* One row per user and simulated week from the user's signup week on, while the account exists:
       were they active, how much did they learn, and how many weeks after signup is it. A deleted
       account keeps the week of its deletion (the deletion comes after the league close, so the
       user may have played it) and has no row after it, so it leaves every later denominator.
       The basis for retention by signup cohort. */ -}}
{{ config "materialized" "table" "order_by" "(cohort_week, user_id, week_start_date)" }}
WITH
    signups AS (
        SELECT
            user_id,
            toMonday(anyIf(signup_date, version = 1)) AS cohort_week,
            -- the first deleted version's start; far in the future for accounts never deleted
            minIf(valid_from, is_deleted) AS deleted_at_or_zero,
            if(deleted_at_or_zero = toDateTime(0), toDateTime('2100-01-01 00:00:00'), deleted_at_or_zero) AS deleted_at
        FROM {{ ref "users" }}
        GROUP BY user_id
    ),
    first_week AS (
        SELECT min(week_start_date) AS d FROM {{ ref "dim_weeks" }}
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
    CAST(u.cohort_week >= fw.d AS Bool) AS signed_up_in_period,
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
CROSS JOIN first_week AS fw
LEFT JOIN activity AS a ON a.user_id = u.user_id AND a.week_start_date = w.week_start_date
LEFT JOIN participation AS p ON p.user_id = u.user_id AND p.week_start_date = w.week_start_date
WHERE w.week_start_date >= u.cohort_week
  AND toDateTime(w.week_start_date) < u.deleted_at
SETTINGS join_use_nulls = 0
