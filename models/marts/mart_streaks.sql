{{- /* Learning streaks: one row per user and streak, a streak being a maximal run of consecutive UTC
       days on each of which the user completed at least one lesson (user_activity, status
       completed). Gaps and islands: consecutive days share day - row_number(). The app's own
       streak_extend event marks each such day once (the reconciliation test checks it); its
       streak_days payload counts the days within the league week only, so it is not used here. */ -}}
{{ config "materialized" "table" "order_by" "(user_id, streak_start_date)" }}
WITH
    days AS (
        SELECT
            user_id,
            activity_date,
            toUInt32(count()) AS lessons_completed,
            toUInt64(sum(xp_earned)) AS xp_earned
        FROM {{ ref "user_activity" }}
        WHERE status = 'completed'
        GROUP BY user_id, activity_date
    ),
    islands AS (
        SELECT *, toDate(activity_date - row_number() OVER (PARTITION BY user_id ORDER BY activity_date)) AS island
        FROM days
    ),
    -- A scalar, not a one-row table joined to every island (see mart_daily_activity).
    (SELECT max(week_end_date) FROM {{ ref "dim_weeks" }}) AS last_day
SELECT
    i.user_id AS user_id,
    min(i.activity_date) AS streak_start_date,
    max(i.activity_date) AS streak_end_date,
    toUInt16(count()) AS streak_days,
    toUInt32(sum(i.lessons_completed)) AS lessons_completed,
    toUInt64(sum(i.xp_earned)) AS xp_earned,
    CAST(streak_end_date = last_day AS Bool) AS is_ongoing
FROM islands AS i
GROUP BY i.user_id, i.island
