{{- /* Daily, weekly and monthly active users per UTC day, all platforms together. A user is active on a
       day when the clickstream holds at least one event of theirs that day. wau and mau are rolling
       windows ending on the day, inclusive: the last 7 and the last 28 days.

       Incremental (delete+insert on activity_date): a run recomputes every day from the earliest
       day that the clickstream files loaded since the last run touch, reading only the events of
       that day's window and later (27 days before it onwards), so the cost follows the new data
       rather than the whole history. A late event therefore corrects its day and the 27 days after
       it, and a run killed half-way is repaired by running again: the watermark
       loaded_through_seq only moves once a day's rows are in. */ -}}
{{ config "materialized" "incremental" "incremental_strategy" "delete+insert" }}
{{ config "unique_key" "activity_date" }}
{{ config "order_by" "activity_date" }}
WITH
    {{- if is_incremental }}
    -- the first day whose window holds events loaded since the last run
    since AS (
        SELECT min(event_date) AS first_new_day FROM {{ ref "event_stream" }}
        WHERE _load_seq > (SELECT max(loaded_through_seq) FROM {{ this }})
    ),
    {{- end }}
    user_days AS (
        SELECT user_id, event_date AS d, max(_load_seq) AS seq
        FROM {{ ref "event_stream" }}
        {{- if is_incremental }}
        WHERE event_date >= (SELECT first_new_day FROM since) - 27
        {{- end }}
        GROUP BY user_id, event_date
    ),
    -- over the whole clickstream, not only the days read: whether a window is whole depends on it
    bounds AS (
        SELECT min(event_date) AS first_day, max(event_date) AS last_day FROM {{ ref "event_stream" }}
    ),
    -- every user-day counts for the 28 days it falls in the window of: d .. d+27
    windows AS (
        SELECT user_id, toDate(d + k) AS activity_date, k, seq
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
    CAST(w.activity_date - 27 >= any(b.first_day) AS Bool) AS mau_window_complete,
    max(w.seq) AS loaded_through_seq
FROM windows AS w
CROSS JOIN bounds AS b
WHERE w.activity_date <= b.last_day
{{- if is_incremental }}
  AND w.activity_date >= (SELECT first_new_day FROM since)
{{- end }}
GROUP BY activity_date
