-- Point-in-time foreign keys to the users history (SCD2). The relationships tests in the YAML only
-- say the user_id exists in some version; here every assignment and every clickstream event must
-- find the user's version valid at that instant (valid_from <= t < valid_to) and not deleted, and an
-- assignment's tier must be the user's current_tier at week start (the group is chosen from it).
-- Assignments are read at Monday 00:00:02, when the backend wrote them (signups come at 00:00:00).
-- Batch-scoped: the clickstream events loaded since the test last passed (batch_ref), against the
-- whole users history; the current assignments (an SCD2 model, no batches) are all read.
WITH
    users_h AS (
        SELECT user_id, valid_from, valid_to, is_deleted, current_tier FROM {{ ref "users" }}
    ),
    assignments AS (
        SELECT user_id, tier_id, toDateTime(week_start_date) + 2 AS t
        FROM {{ ref "ligue_assignment" }}
        WHERE is_current
    ),
    events AS (
        SELECT user_id, toDateTime(event_timestamp) AS t FROM {{ batch_ref "event_stream" }}
    )
SELECT 'ligue_assignment' AS child, a.user_id AS user_id, a.t AS t, u.valid_from AS valid_from,
       u.valid_to AS valid_to, u.is_deleted AS is_deleted, a.tier_id AS tier_id, u.current_tier AS users_tier
FROM assignments AS a
ASOF LEFT JOIN users_h AS u ON u.user_id = a.user_id AND a.t >= u.valid_from
WHERE u.user_id = 0 OR a.t >= u.valid_to OR u.is_deleted OR a.tier_id != u.current_tier
UNION ALL
SELECT 'event_stream' AS child, e.user_id AS user_id, e.t AS t, u.valid_from AS valid_from,
       u.valid_to AS valid_to, u.is_deleted AS is_deleted, 0 AS tier_id, u.current_tier AS users_tier
FROM events AS e
ASOF LEFT JOIN users_h AS u ON u.user_id = e.user_id AND e.t >= u.valid_from
WHERE u.user_id = 0 OR e.t >= u.valid_to OR u.is_deleted
SETTINGS join_use_nulls = 0
