-- History (SCD2) of ligue_tiers: one version per change, keyed by tier_id.
{{ config "unique_key" "tier_id" }}
SELECT * FROM {{ ref "ligue_tiers_staging" }}
