-- median_xp and p90_xp follow the definition analysts expect (R-7, as numpy, pandas and Excel's
-- PERCENTILE.INC), recomputed here from the sorted XP of each week and tier: with x[0..n-1] sorted
-- and h = (n-1)p, x[floor(h)] + (h - floor(h)) (x[floor(h)+1] - x[floor(h)]). For an even group the
-- median is the mean of the two middle values (quantileExact took the upper one). The mart rounds
-- to 2 decimals.
WITH sorted AS (
    SELECT week_start_date, tier_id, arraySort(groupArray(toFloat64(total_xp_earned))) AS x
    FROM {{ ref "ligue_assignment" }}
    WHERE is_current AND final_rank IS NOT NULL
    GROUP BY week_start_date, tier_id
),
expected AS (
    SELECT week_start_date, tier_id, length(x) AS n,
           (n - 1) * 0.5 AS h50, (n - 1) * 0.9 AS h90,
           x[toUInt32(floor(h50)) + 1] + (h50 - floor(h50)) * (x[least(toUInt32(floor(h50)) + 2, n)] - x[toUInt32(floor(h50)) + 1]) AS median_xp,
           x[toUInt32(floor(h90)) + 1] + (h90 - floor(h90)) * (x[least(toUInt32(floor(h90)) + 2, n)] - x[toUInt32(floor(h90)) + 1]) AS p90_xp
    FROM sorted
)
SELECT e.week_start_date AS week_start_date, e.tier_id AS tier_id, e.n AS n,
       e.median_xp AS expected_median, m.median_xp AS median_xp, e.p90_xp AS expected_p90, m.p90_xp AS p90_xp
FROM expected AS e
LEFT JOIN {{ ref "mart_weekly_league_summary" }} AS m ON m.week_start_date = e.week_start_date AND m.tier_id = e.tier_id
WHERE abs(m.median_xp - e.median_xp) > 0.005 OR abs(m.p90_xp - e.p90_xp) > 0.005 OR m.tier_id = 0
SETTINGS join_use_nulls = 0
