-- Each finalised assignment's total_xp_earned equals the XP of the user's completed lessons that
-- week, as parsed from the clickstream (deduplicated by event_id in event_stream).
SELECT a.user_id AS user_id, a.week_start_date AS week_start_date, a.total_xp_earned AS reported_xp,
       x.xp AS parsed_xp
FROM {{ ref "ligue_assignment" }} AS a
LEFT JOIN (
    SELECT user_id, week_start_date, toUInt64(sum(xp_earned)) AS xp
    FROM {{ ref "user_activity" }}
    WHERE status = 'completed'
    GROUP BY user_id, week_start_date
) AS x ON x.user_id = a.user_id AND x.week_start_date = a.week_start_date
WHERE a.is_current AND a.final_rank IS NOT NULL AND a.total_xp_earned != x.xp
SETTINGS join_use_nulls = 0
