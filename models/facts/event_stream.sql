-- The app's clickstream, loaded once per weekly file, deduplicated by event_id across files; rows
-- with broken JSON or unknown event types go to event_stream__quarantine with the reason.
{{ config "materialized" "fact" }}
{{ config "files" "${cdc_dir}/*/event_stream.csv" }}
{{ config "unique_key" "event_id" }}
{{ config "dedupe_scope" "event_date" }}
-- Sorted as the file nearly is (time order): sorting each file by its random event_ids was the
-- costliest part of loading it (docs/benchmarks-warehouse.md, goal 2).
{{ config "order_by" "(event_date, event_timestamp)" }}
-- depends_on: {{ ref "event_types" }}
