-- mart_daily_activity and mart_active_users tell the clickstream's story, day by day and week by week:
-- per day, the events add up to event_stream's rows, the completions and XP to user_activity's, and
-- the day's distinct users (mart_active_users.dau) lie between the largest per-platform dau and
-- their sum; per week, completions and XP equal the generator's truth.
-- Batch-scoped by day: the day check reads the days from the earliest one that the clickstream and
-- lesson rows loaded since the test last passed touch (batch_ref), and every later day; the week
-- check reads every week (the marts and the truth are small). An earlier day did not change: its
-- events and lessons only grow through new rows (erasure blanks personal columns, it keeps the
-- rows), mart_daily_activity rewrites only the days of new events, and mart_active_users every day
-- from the first of them. With nothing new since the last pass the day check reads no day; the
-- first run, --full and an edited test read them all.
WITH
    since AS (
        SELECT minOrNull(d) AS first_day
        FROM (SELECT event_date AS d FROM {{ batch_ref "event_stream" }}
              UNION ALL SELECT activity_date FROM {{ batch_ref "user_activity" }})
    ),
    mart_day AS (
        SELECT activity_date, sum(events) AS events, sum(lesson_completions) AS completions,
               sum(xp_earned) AS xp, max(dau) AS max_platform_dau, sum(dau) AS sum_platform_dau
        FROM {{ ref "mart_daily_activity" }}
        GROUP BY activity_date
    ),
    stream_day AS (
        SELECT event_date AS activity_date, count() AS events, uniqExact(user_id) AS users
        FROM {{ ref "event_stream" }}
        WHERE event_date >= (SELECT first_day FROM since)
        GROUP BY activity_date
    ),
    activity_day AS (
        SELECT activity_date, countIf(status = 'completed') AS completions, sum(xp_earned) AS xp
        FROM {{ ref "user_activity" }}
        WHERE week_start_date >= toMonday((SELECT first_day FROM since)) AND activity_date >= (SELECT first_day FROM since)
        GROUP BY activity_date
    ),
    mart_week AS (
        SELECT toMonday(activity_date) AS week_start_date, sum(lesson_completions) AS completions, sum(xp_earned) AS xp
        FROM {{ ref "mart_daily_activity" }}
        GROUP BY week_start_date
    )
SELECT 'day' AS grain, s.activity_date AS day, m.events AS mart_events, s.events AS stream_events,
       m.completions AS mart_completions, a.completions AS expected_completions, m.xp AS mart_xp, a.xp AS expected_xp,
       au.dau AS dau, s.users AS stream_users
FROM stream_day AS s
LEFT JOIN mart_day AS m ON m.activity_date = s.activity_date
LEFT JOIN activity_day AS a ON a.activity_date = s.activity_date
LEFT JOIN {{ ref "mart_active_users" }} AS au ON au.activity_date = s.activity_date
WHERE m.events != s.events OR m.completions != a.completions OR m.xp != a.xp
   OR au.dau != s.users OR au.dau < m.max_platform_dau OR au.dau > m.sum_platform_dau
UNION ALL
SELECT 'week' AS grain, t.week_start_date AS day, 0, 0,
       w.completions, t.lesson_completions, w.xp, t.total_xp, 0, 0
FROM {{ ref "generator_truth" }} AS t
LEFT JOIN mart_week AS w ON w.week_start_date = t.week_start_date
WHERE w.completions != t.lesson_completions OR w.xp != t.total_xp
SETTINGS join_use_nulls = 0
