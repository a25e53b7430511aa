-- user_activity -> event_stream, the "parsed from" relationship: every parsed lesson outcome is the
-- hash of a lesson_complete or lesson_fail event of the same user at the same second (a
-- relationships test on a UInt64 hash, cheaper at scale than one on the session_id strings).
-- Batch-scoped (docs/tests.md, "Singular tests on new batches"): the outcomes parsed since the test
-- last passed, against every event of their days. An event matches only at its outcome's second,
-- so only events dated on the new outcomes' days can match (event_date leads event_stream's
-- sort key, so the other days are skipped); an event_date or activity_date that disagreed with
-- its timestamp could only make the test fail, never hide a missing event.
SELECT a.activity_id AS activity_id, a.user_id AS user_id, a.activity_timestamp AS activity_timestamp
FROM {{ batch_ref "user_activity" }} AS a
LEFT ANTI JOIN (
    SELECT cityHash64(event_id) AS activity_id, user_id, toDateTime(event_timestamp) AS ts
    FROM {{ ref "event_stream" }}
    WHERE event_date IN (SELECT DISTINCT activity_date FROM {{ batch_ref "user_activity" }})
      AND event_type_id IN (
        SELECT event_type_id FROM {{ ref "event_types" }} WHERE is_current AND event_name IN ('lesson_complete', 'lesson_fail')
    )
) AS e ON e.activity_id = a.activity_id AND e.user_id = a.user_id AND e.ts = a.activity_timestamp
