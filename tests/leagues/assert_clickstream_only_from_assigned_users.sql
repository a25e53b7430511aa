-- Only users placed in a league group that week produce clickstream events.
SELECT e.user_id AS user_id, toMonday(e.event_date) AS week_start_date, count() AS events
FROM {{ ref "event_stream" }} AS e
LEFT ANTI JOIN (
    SELECT DISTINCT user_id, week_start_date FROM {{ ref "ligue_assignment" }} WHERE is_current
) AS a ON a.user_id = e.user_id AND a.week_start_date = toMonday(e.event_date)
GROUP BY user_id, week_start_date
