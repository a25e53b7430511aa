{{- /* One row per user and league week in which the user was placed: the group, the ranks, the XP and
       the outcome, the tier the user holds the next week, and the user as they were at the week's
       start (point in time through macros/as_of.sql: valid_from <= t < valid_to).

       Incremental: a run recomputes the latest week it holds (it may have been open, final_rank
       NULL, when last built) and every newer week, and insert_overwrite swaps each week's partition
       in whole, so a run killed half-way is repaired by simply running again. */ -}}
{{ config "materialized" "incremental" "incremental_strategy" "insert_overwrite" }}
{{ config "partition_by" "week_start_date" "order_by" "(week_start_date, user_id)" }}
WITH
    assignments AS (
        SELECT user_id, instance_id, tier_id, week_start_date, week_end_date, starting_rank, final_rank,
               total_xp_earned, outcome
        FROM {{ ref "ligue_assignment" }}
        WHERE is_current AND is_active
        {{- if is_incremental }}
          AND week_start_date >= (SELECT max(week_start_date) FROM {{ this }})
        {{- end }}
    ),
    lessons AS (
        SELECT user_id, week_start_date,
               toUInt32(countIf(status = 'completed')) AS lessons_completed,
               toUInt32(countIf(status = 'failed')) AS lessons_failed
        FROM {{ ref "user_activity" }}
        WHERE week_start_date IN (SELECT week_start_date FROM assignments)
        GROUP BY user_id, week_start_date
    )
SELECT
    a.user_id AS user_id,
    a.week_start_date AS week_start_date,
    a.week_end_date AS week_end_date,
    a.tier_id AS tier_id,
    t.tier_name AS tier_name,
    a.instance_id AS instance_id,
    toUInt16(count() OVER (PARTITION BY a.instance_id)) AS group_size,
    a.starting_rank AS starting_rank,
    a.final_rank AS final_rank,
    a.total_xp_earned AS xp,
    l.lessons_completed AS lessons_completed,
    l.lessons_failed AS lessons_failed,
    a.outcome AS outcome,
    -- The tier the user holds at the next Monday: the league close moves it on Sunday 23:59:52.
    if(a.final_rank IS NULL, NULL, n.current_tier) AS next_tier_id,
    u.country_code AS country_code,
    u.region AS region,
    u.subscription_tier AS subscription_tier,
    u.signup_date AS signup_date,
    toMonday(u.signup_date) AS signup_cohort,
    toInt32(dateDiff('day', u.signup_date, a.week_start_date)) AS days_since_signup,
    CAST(u.signup_date >= a.week_start_date AS Bool) AS is_new_user,
    u.version AS user_version
FROM assignments AS a
LEFT JOIN {{ ref "users" }} AS u
    ON u.user_id = a.user_id AND {{ macro "valid_at" "u" "toDateTime(a.week_start_date)" }}
LEFT JOIN {{ ref "users" }} AS n
    ON n.user_id = a.user_id AND {{ macro "valid_at" "n" "toDateTime(a.week_end_date + 1)" }}
LEFT JOIN {{ ref "ligue_tiers" }} AS t
    ON t.tier_id = a.tier_id AND {{ macro "valid_at" "t" "toDateTime(a.week_start_date)" }}
LEFT JOIN lessons AS l ON l.user_id = a.user_id AND l.week_start_date = a.week_start_date
SETTINGS join_use_nulls = 0
