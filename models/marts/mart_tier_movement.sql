{{- /* Tier-to-tier movement per week: where the users of each tier ended up after the league closed. */ -}}
{{ config "materialized" "table" "order_by" "(week_start_date, from_tier_id, to_tier_id)" }}
SELECT
    week_start_date,
    tier_id AS from_tier_id,
    toUInt8(multiIf(outcome = 'promoted', tier_id + 1, outcome = 'relegated', tier_id - 1, tier_id)) AS to_tier_id,
    outcome,
    toUInt32(count()) AS users
FROM {{ ref "ligue_assignment" }}
WHERE is_current AND outcome IS NOT NULL
GROUP BY week_start_date, from_tier_id, to_tier_id, outcome
