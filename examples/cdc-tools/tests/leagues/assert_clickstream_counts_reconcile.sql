-- For every clickstream batch: loaded + duplicates + quarantined = delivered, and the duplicates and
-- quarantined rows are exactly the faults the generator injected into that week. A batch is one
-- run's cursor range, so this holds when each week is built before the next is delivered (a week
-- delivered twice adds no batch: its second delivery loads nothing and records only its cursor).
-- depends_on: {{ ref "event_stream" }}
SELECT t.week AS week, l.delivered AS delivered, t.events_delivered AS truth_delivered,
       l.loaded AS loaded, l.duplicates AS duplicates, t.fault_duplicates AS truth_duplicates,
       l.quarantined AS quarantined, t.fault_malformed_json + t.fault_unknown_event_type AS truth_quarantined
FROM {{ ref "generator_truth" }} AS t
LEFT JOIN (
    SELECT toUInt32(batch) AS week, delivered, loaded, duplicates, quarantined
    FROM {{ source "dwm" "dwm_ledger" }}
    WHERE kind = 'batch' AND endsWith(model, '.event_stream')
) AS l ON l.week = t.week
WHERE l.delivered != t.events_delivered
   OR l.loaded + l.duplicates + l.quarantined != l.delivered
   OR l.duplicates != t.fault_duplicates
   OR l.quarantined != t.fault_malformed_json + t.fault_unknown_event_type
SETTINGS join_use_nulls = 0
