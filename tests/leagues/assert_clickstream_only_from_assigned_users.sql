-- Only users placed in a league group that week produce clickstream events.
-- Batch-scoped (docs/tests.md, "Singular tests on new batches"): the events added since the test
-- last passed, against the current assignments of their weeks. A new batch of events cannot make
-- an older event fail, and neither can the history: once a user is assigned for a week, that
-- assignment keeps a current version, a deleted one included (docs/materializations.md, scd2).
SELECT e.user_id AS user_id, toMonday(e.event_date) AS week_start_date, count() AS events
FROM {{ batch_ref "event_stream" }} AS e
LEFT ANTI JOIN (
    SELECT DISTINCT user_id, week_start_date FROM {{ ref "ligue_assignment" }}
    WHERE is_current AND week_start_date IN (SELECT DISTINCT toMonday(event_date) FROM {{ batch_ref "event_stream" }})
) AS a ON a.user_id = e.user_id AND a.week_start_date = toMonday(e.event_date)
GROUP BY user_id, week_start_date
