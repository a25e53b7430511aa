-- With n members and the tier's slots P and R: ranks 1..min(P, n*P/15) are promoted, the last
-- min(R, n*R/15) relegated, the rest stayed (docs/generator.md, "League rules").
WITH
    groups AS (
        SELECT instance_id, toUInt32(count()) AS n
        FROM {{ ref "ligue_assignment" }}
        WHERE is_current AND final_rank IS NOT NULL
        GROUP BY instance_id
    ),
    tiers AS (
        SELECT tier_id, promotion_slots AS p_slots, relegation_slots AS r_slots
        FROM {{ ref "ligue_tiers" }}
        WHERE is_current
    )
SELECT a.instance_id AS instance_id, a.user_id AS user_id, a.tier_id AS tier_id, g.n AS n,
       a.final_rank AS final_rank, a.outcome AS outcome,
       multiIf(a.final_rank <= least(t.p_slots, intDiv(g.n * t.p_slots, 15)), 'promoted',
               a.final_rank > g.n - least(t.r_slots, intDiv(g.n * t.r_slots, 15)), 'relegated',
               'stayed') AS expected
FROM {{ ref "ligue_assignment" }} AS a
INNER JOIN groups AS g ON g.instance_id = a.instance_id
INNER JOIN tiers AS t ON t.tier_id = a.tier_id
WHERE a.is_current AND a.final_rank IS NOT NULL AND a.outcome != expected
