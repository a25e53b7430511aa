{{- /* The generator's ground truth from each week's manifest.json (loaded by generator_manifests), so
       the warehouse can be reconciled against what the simulated backend knows happened. */ -}}
{{ config "materialized" "view" }}
SELECT
    toUInt32(JSONExtractUInt(json, 'week')) AS week,
    toDate(JSONExtractString(json, 'week_start')) AS week_start_date,
    toUInt32(JSONExtractUInt(json, 'truth', 'participating_users')) AS participating_users,
    toUInt32(JSONExtractUInt(json, 'truth', 'groups')) AS groups,
    toUInt32(JSONExtractUInt(json, 'truth', 'promoted')) AS promoted,
    toUInt32(JSONExtractUInt(json, 'truth', 'relegated')) AS relegated,
    toUInt32(JSONExtractUInt(json, 'truth', 'stayed')) AS stayed,
    toUInt64(JSONExtractUInt(json, 'truth', 'total_xp')) AS total_xp,
    toUInt64(JSONExtractUInt(json, 'truth', 'lesson_completions')) AS lesson_completions,
    toUInt64(JSONExtractUInt(json, 'truth', 'users_total')) AS users_total,
    toUInt64(JSONExtractUInt(json, 'truth', 'signups')) AS signups,
    toUInt64(JSONExtractUInt(json, 'truth', 'deletes')) AS deletes,
    toUInt64(JSONExtractUInt(json, 'truth', 'events_delivered')) AS events_delivered,
    toUInt64(JSONExtractUInt(json, 'faults', 'duplicates')) AS fault_duplicates,
    toUInt64(JSONExtractUInt(json, 'faults', 'malformed_json')) AS fault_malformed_json,
    toUInt64(JSONExtractUInt(json, 'faults', 'unknown_event_type')) AS fault_unknown_event_type,
    JSONExtractRaw(json, 'truth', 'per_tier') AS per_tier_json
FROM {{ ref "generator_manifests" }}
WHERE JSONExtractUInt(json, 'week') > 0
