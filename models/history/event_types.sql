-- History (SCD2) of event_types: one version per change, keyed by event_type_id.
{{ config "unique_key" "event_type_id" }}
SELECT * FROM {{ ref "event_types_staging" }}
