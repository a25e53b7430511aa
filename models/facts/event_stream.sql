-- The app's clickstream, loaded once per weekly file, deduplicated by event_id across files; rows
-- with broken JSON or unknown event types go to event_stream__quarantine with the reason.
{{ config "materialized" "fact" }}
{{ config "files" "${cdc_dir}/*/event_stream.csv" }}
{{ config "unique_key" "event_id" }}
{{ config "dedupe_scope" "event_date" }}
-- depends_on: {{ ref "event_types" }}
