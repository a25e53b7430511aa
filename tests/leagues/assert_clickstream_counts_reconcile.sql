-- For every clickstream file: loaded + duplicates + quarantined = delivered, and the duplicates and
-- quarantined rows are exactly the faults the generator injected into that file.
-- depends_on: {{ ref "event_stream" }}
SELECT t.week AS week, l.delivered AS delivered, t.events_delivered AS truth_delivered,
       l.loaded AS loaded, l.duplicates AS duplicates, t.fault_duplicates AS truth_duplicates,
       l.quarantined AS quarantined, t.fault_malformed_json + t.fault_unknown_event_type AS truth_quarantined
FROM {{ ref "generator_truth" }} AS t
LEFT JOIN (
    SELECT toUInt32(extract(file, 'w(\\d+)/')) AS week, delivered, loaded, duplicates, quarantined
    FROM {{ source "dwm" "dwm_ledger" }}
    WHERE kind = 'file' AND endsWith(model, '.event_stream')
) AS l ON l.week = t.week
WHERE l.delivered != t.events_delivered
   OR l.loaded + l.duplicates + l.quarantined != l.delivered
   OR l.duplicates != t.fault_duplicates
   OR l.quarantined != t.fault_malformed_json + t.fault_unknown_event_type
SETTINGS join_use_nulls = 0
