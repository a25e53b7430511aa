{{- /* One row per simulated week and tier: how many groups ran, how many users took part, how their XP
       was distributed and how many went up or down. Built from the finalised assignments. */ -}}
{{ config "materialized" "table" "order_by" "(week_start_date, tier_id)" }}
SELECT
    a.week_start_date AS week_start_date,
    a.tier_id AS tier_id,
    any(t.tier_name) AS tier_name,
    toUInt32(uniqExact(a.instance_id)) AS groups,
    toUInt32(count()) AS participants,
    toUInt64(sum(a.total_xp_earned)) AS total_xp,
    round(avg(a.total_xp_earned), 2) AS avg_xp,
    -- R-7 (linear interpolation between the two nearest ranks, as numpy, pandas and Excel's
    -- PERCENTILE.INC): the median of an even group is the mean of its two middle values.
    round(quantileExactInclusive(0.5)(a.total_xp_earned), 2) AS median_xp,
    round(quantileExactInclusive(0.9)(a.total_xp_earned), 2) AS p90_xp,
    toUInt32(max(a.total_xp_earned)) AS max_xp,
    toUInt32(countIf(a.total_xp_earned = 0)) AS zero_xp_participants,
    toUInt32(countIf(a.outcome = 'promoted')) AS promoted,
    toUInt32(countIf(a.outcome = 'relegated')) AS relegated,
    toUInt32(countIf(a.outcome = 'stayed')) AS stayed
FROM {{ ref "ligue_assignment" }} AS a
-- The tier's name as it was at the week's start, not today's (macros/as_of.sql).
LEFT JOIN {{ ref "ligue_tiers" }} AS t
    ON t.tier_id = a.tier_id AND {{ macro "valid_at" "t" "toDateTime(a.week_start_date)" }}
WHERE a.is_current AND a.final_rank IS NOT NULL
GROUP BY week_start_date, tier_id
