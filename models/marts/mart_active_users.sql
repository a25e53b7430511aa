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
    -- each user's active days in order (read from 27 days before the first new day when
    -- incremental: every window ending on a recomputed day lies inside what is read)
    user_days AS (
        SELECT user_id, arraySort(groupUniqArray(event_date)) AS days
        FROM {{ ref "event_stream" }}
        {{- if is_incremental }}
        WHERE event_date >= (SELECT first_new_day FROM since) - 27
        {{- end }}
        GROUP BY user_id
    ),
    -- A user counts on day D when their latest active day on or before D is k = 0..27 days
    -- earlier (active on D: k = 0; in the last 7 days: k < 7). Active day d_i is that latest day for
    -- D = d_i .. d_i + 27, up to the day before the next active day: one (D, k) row per user and
    -- day, so the counts below are plain counts, without a distinct-user state per day.
    spans AS (
        SELECT arrayJoin(arrayMap(i -> (days[i], toUInt32(if(i < length(days), least(days[i + 1] - days[i], 28), 28))),
                                  arrayEnumerate(days))) AS span
        FROM user_days
    ),
    -- over the whole clickstream, not only the days read: whether a window is whole depends on it
    bounds AS (
        SELECT min(event_date) AS first_day, max(event_date) AS last_day FROM {{ ref "event_stream" }}
    ),
    counts AS (
        SELECT toDate(span.1 + k) AS activity_date,
               toUInt32(countIf(k = 0)) AS dau, toUInt32(countIf(k < 7)) AS wau, toUInt32(count()) AS mau
        FROM spans
        ARRAY JOIN range(span.2) AS k
        WHERE activity_date <= (SELECT last_day FROM bounds)
        {{- if is_incremental }}
          AND activity_date >= (SELECT first_new_day FROM since)
        {{- end }}
        GROUP BY activity_date
    ),
    -- the newest load that any event of a day's window came from: the watermark
    seqs AS (
        SELECT toDate(d + k) AS activity_date, max(seq) AS loaded_through_seq
        FROM (
            SELECT event_date AS d, max(_load_seq) AS seq
            FROM {{ ref "event_stream" }}
            {{- if is_incremental }}
            WHERE event_date >= (SELECT first_new_day FROM since) - 27
            {{- end }}
            GROUP BY event_date
        )
        ARRAY JOIN range(28) AS k
        GROUP BY activity_date
    )
SELECT
    c.activity_date AS activity_date,
    c.dau AS dau,
    c.wau AS wau,
    c.mau AS mau,
    round(if(c.mau = 0, 0, c.dau / c.mau), 4) AS dau_mau_ratio,
    CAST(c.activity_date - 6 >= b.first_day AS Bool) AS wau_window_complete,
    CAST(c.activity_date - 27 >= b.first_day AS Bool) AS mau_window_complete,
    s.loaded_through_seq AS loaded_through_seq
FROM counts AS c
INNER JOIN seqs AS s ON s.activity_date = c.activity_date
CROSS JOIN bounds AS b
