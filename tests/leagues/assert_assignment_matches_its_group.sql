-- An assignment points at its group (ligue_instances) and agrees with it: same tier, same week.
SELECT a.user_id AS user_id, a.instance_id AS instance_id, a.tier_id AS tier_id, i.tier_id AS group_tier,
       a.week_start_date AS week_start_date, i.week_start_date AS group_week
FROM {{ ref "ligue_assignment" }} AS a
LEFT JOIN (SELECT instance_id, tier_id, week_start_date FROM {{ ref "ligue_instances" }} WHERE is_current) AS i
    ON i.instance_id = a.instance_id
WHERE a.is_current AND (i.instance_id = 0 OR a.tier_id != i.tier_id OR a.week_start_date != i.week_start_date)
SETTINGS join_use_nulls = 0
