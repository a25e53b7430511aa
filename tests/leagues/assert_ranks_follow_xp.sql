-- final_rank orders a group by total_xp_earned DESC, then user_id ASC (the backend's tie-break).
SELECT instance_id, user_id, total_xp_earned, final_rank, expected_rank
FROM (
    SELECT instance_id, user_id, total_xp_earned, final_rank,
           row_number() OVER (PARTITION BY instance_id ORDER BY total_xp_earned DESC, user_id ASC) AS expected_rank
    FROM {{ ref "ligue_assignment" }}
    WHERE is_current AND final_rank IS NOT NULL
)
WHERE final_rank != expected_rank
