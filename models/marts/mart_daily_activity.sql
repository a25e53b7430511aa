{{- /* Per UTC day, platform and app version: active users, sessions, events, lessons and XP, straight
       from the clickstream. Incremental (delete+insert on the grain): a run recomputes, from all of
       event_stream, every day that the clickstream files loaded since the last run touch. A late
       event (delivered in the next week's file, timestamped in the earlier week) therefore corrects
       its day, and a run killed half-way is repaired by running again: the watermark
       loaded_through_seq only moves once a day's rows are in. */ -}}
{{ config "materialized" "incremental" "incremental_strategy" "delete+insert" }}
{{ config "unique_key" (list "activity_date" "platform" "app_version") }}
{{ config "order_by" "(activity_date, platform, app_version)" }}
-- The event type ids are scalars, not a one-row table joined to every event: the CROSS JOIN
-- copied each block of events through a join and took a third of the statement
-- (docs/benchmarks-warehouse.md, "Ninth session").
WITH
    (SELECT anyIf(event_type_id, event_name = 'session_start') FROM {{ ref "event_types" }} WHERE is_current) AS session_start_id,
    (SELECT anyIf(event_type_id, event_name = 'lesson_start') FROM {{ ref "event_types" }} WHERE is_current) AS start_id,
    (SELECT anyIf(event_type_id, event_name = 'lesson_complete') FROM {{ ref "event_types" }} WHERE is_current) AS complete_id,
    (SELECT anyIf(event_type_id, event_name = 'lesson_fail') FROM {{ ref "event_types" }} WHERE is_current) AS fail_id
SELECT
    e.event_date AS activity_date,
    e.platform AS platform,
    e.app_version AS app_version,
    toUInt32(uniqExact(e.user_id)) AS dau,
    -- Sessions are counted by their session_start events, not by distinct session_id: session_id
    -- is personal data that erasure blanks, and a count over it would change the day's numbers
    -- when a user is erased after the day was computed (a rebuild would then differ).
    toUInt32(countIf(e.event_type_id = session_start_id)) AS sessions,
    toUInt64(count()) AS events,
    toUInt32(countIf(e.event_type_id = start_id)) AS lesson_starts,
    toUInt32(countIf(e.event_type_id = complete_id AND JSONExtractString(e.payload, 'status') = 'completed')) AS lesson_completions,
    toUInt32(countIf(e.event_type_id = fail_id)) AS lesson_failures,
    toUInt64(sumIf(JSONExtractUInt(e.payload, 'xp_earned'), e.event_type_id = complete_id)) AS xp_earned,
    max(e._load_seq) AS loaded_through_seq
FROM {{ ref "event_stream" }} AS e
{{- if is_incremental }}
WHERE e.event_date IN (
    SELECT DISTINCT event_date FROM {{ ref "event_stream" }}
    WHERE _load_seq > (SELECT max(loaded_through_seq) FROM {{ this }})
)
{{- end }}
GROUP BY activity_date, platform, app_version
