-- mart_streaks against its sources. Per user: the streaks' days add up to the days with a completed
-- lesson, and two streaks of a user are never adjacent (a gap of at least one day separates them).
-- Per user and league week, against the app's streak_extend events (one after the first completed
-- lesson of each day): as many events as streak days that week, and their largest streak_days
-- payload equals that count (the app counts days within the week). The latest week may miss a few
-- events: a late streak_extend is delivered with the next week's file, which does not exist yet.
-- Batch-scoped in part: the streaks and days are all checked (mart_streaks is rebuilt every run),
-- the streak_extend events only in the weeks of the clickstream rows loaded since the test last
-- passed (batch_ref) and the week before each (the one that was current then, now held to the
-- strict count). An older week's events did not change (event_stream only appends, and a late
-- event lands in a new batch, so its week is checked), nor its streak days: the full day check
-- ties them to the lessons completed, which only grow through new events too.
WITH
    completion_days AS (
        SELECT user_id, activity_date AS d
        FROM {{ ref "user_activity" }}
        WHERE status = 'completed'
        GROUP BY user_id, d
    ),
    streak_days AS (
        SELECT user_id, toDate(streak_start_date + k) AS d
        FROM {{ ref "mart_streaks" }}
        ARRAY JOIN range(toUInt32(streak_days)) AS k
    ),
    days_diff AS (
        SELECT user_id, d, count() AS times
        FROM (SELECT user_id, d FROM completion_days UNION ALL SELECT user_id, d FROM streak_days)
        GROUP BY user_id, d
        HAVING times != 2
    ),
    adjacent AS (
        SELECT user_id, streak_start_date, prev_end
        FROM (
            SELECT user_id, streak_start_date,
                   lagInFrame(streak_end_date) OVER (PARTITION BY user_id ORDER BY streak_start_date
                                                     ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS prev_end,
                   row_number() OVER (PARTITION BY user_id ORDER BY streak_start_date) AS i
            FROM {{ ref "mart_streaks" }}
        )
        WHERE i > 1 AND streak_start_date <= prev_end + 1
    ),
    checked_weeks AS (
        SELECT DISTINCT arrayJoin([w, w - 7]) AS week_start_date
        FROM (SELECT DISTINCT toMonday(event_date) AS w FROM {{ batch_ref "event_stream" }})
    ),
    streak_week AS (
        SELECT user_id, toMonday(d) AS week_start_date, count() AS days
        FROM streak_days
        WHERE week_start_date IN (SELECT week_start_date FROM checked_weeks)
        GROUP BY user_id, week_start_date
    ),
    extend_week AS (
        SELECT e.user_id AS user_id, toMonday(e.event_date) AS week_start_date, count() AS events,
               max(JSONExtractUInt(e.payload, 'streak_days')) AS max_payload
        FROM {{ ref "event_stream" }} AS e
        WHERE e.event_date IN (SELECT toDate(week_start_date + k) FROM checked_weeks ARRAY JOIN range(7) AS k)
          AND e.event_type_id IN (SELECT event_type_id FROM {{ ref "event_types" }} WHERE is_current AND event_name = 'streak_extend')
        GROUP BY user_id, week_start_date
    ),
    current_week AS (
        SELECT week_start_date FROM {{ ref "dim_weeks" }} WHERE is_current_week
    )
SELECT 'day not covered exactly once' AS problem, user_id, d AS day, times AS n, 0 AS expected
FROM days_diff
UNION ALL
SELECT 'adjacent streaks', user_id, streak_start_date, 0, 0 FROM adjacent
UNION ALL
SELECT 'streak_extend events', s.user_id, s.week_start_date, x.events, s.days
FROM streak_week AS s
FULL JOIN extend_week AS x ON x.user_id = s.user_id AND x.week_start_date = s.week_start_date
WHERE x.events > s.days
   OR (x.events < s.days AND greatest(s.week_start_date, x.week_start_date) NOT IN (SELECT week_start_date FROM current_week))
   OR (x.events = s.days AND x.max_payload != s.days)
SETTINGS join_use_nulls = 0
