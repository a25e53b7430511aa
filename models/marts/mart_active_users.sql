{{- /* Daily, weekly and monthly active users per UTC day, all platforms together. A user is active on a
       day when the clickstream holds at least one event of theirs that day. wau and mau are rolling
       windows ending on the day, inclusive: the last 7 and the last 28 days. A table, rebuilt each
       run from one row per active user and day (small next to the clickstream). */ -}}
{{ config "materialized" "table" "order_by" "activity_date" }}
WITH
    user_days AS (
        SELECT DISTINCT user_id, event_date AS d
        FROM {{ ref "event_stream" }}
    ),
    bounds AS (
        SELECT min(d) AS first_day, max(d) AS last_day FROM user_days
    ),
    -- every user-day counts for the 28 days it falls in the window of: d .. d+27
    windows AS (
        SELECT user_id, toDate(d + k) AS activity_date, k
        FROM user_days
        ARRAY JOIN range(28) AS k
    )
SELECT
    w.activity_date AS activity_date,
    toUInt32(uniqExactIf(w.user_id, w.k = 0)) AS dau,
    toUInt32(uniqExactIf(w.user_id, w.k < 7)) AS wau,
    toUInt32(uniqExact(w.user_id)) AS mau,
    round(if(mau = 0, 0, dau / mau), 4) AS dau_mau_ratio,
    CAST(w.activity_date - 6 >= any(b.first_day) AS Bool) AS wau_window_complete,
    CAST(w.activity_date - 27 >= any(b.first_day) AS Bool) AS mau_window_complete
FROM windows AS w
CROSS JOIN bounds AS b
WHERE w.activity_date <= b.last_day
GROUP BY activity_date
