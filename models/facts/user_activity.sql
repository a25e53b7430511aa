{{- /* Lesson outcomes parsed from the clickstream's JSON payloads. Incremental: a run parses only the
       clickstream files (partitions, _load_seq) it does not hold yet, and insert_overwrite swaps
       each one in whole, so a run killed half-way is repaired by simply running again. */ -}}
{{ config "materialized" "incremental" "incremental_strategy" "insert_overwrite" }}
{{ config "partition_by" "_load_seq" "order_by" "(week_start_date, user_id, activity_timestamp)" }}
{{ config "batch_column" "_load_seq" }}
WITH lesson_events AS (
    SELECT event_type_id, event_name
    FROM {{ ref "event_types" }}
    WHERE is_current AND event_name IN ('lesson_complete', 'lesson_fail')
)
SELECT
    cityHash64(e.event_id) AS activity_id,
    e.user_id AS user_id,
    toUInt32(e.lp.lesson_id) AS lesson_id,
    toDateTime(e.event_timestamp) AS activity_timestamp,
    toDate(e.event_timestamp) AS activity_date,
    toMonday(e.event_timestamp) AS week_start_date,
    CAST(e.lp.status AS LowCardinality(String)) AS status,
    toUInt16(e.lp.xp_earned) AS xp_earned,
    toUInt8(e.lp.score) AS score,
    toUInt8(e.lp.mistakes_made) AS mistakes_made,
    toUInt16(e.lp.time_spent_seconds) AS time_spent_seconds,
    e.session_id AS session_id,
    e.platform AS platform,
    e.inserted_at AS inserted_at,
    e._load_seq AS _load_seq
FROM (SELECT *, {{ macro "lesson_payload" "payload" }} AS lp FROM {{ ref "event_stream" }}) AS e
WHERE e.event_type_id IN (SELECT event_type_id FROM lesson_events)
{{- if is_incremental }}
  AND e._load_seq NOT IN (SELECT DISTINCT _load_seq FROM {{ this }})
{{- end }}
