-- The app's clickstream, loaded once per weekly file, deduplicated by event_id across files; rows
-- with broken JSON or unknown event types go to event_stream__quarantine with the reason.
{{ config "materialized" "fact" }}
{{ config "files" "${cdc_dir}/*/event_stream.csv" }}
{{ config "unique_key" "event_id" }}
{{ config "dedupe_scope" "event_date" }}
-- Sorted by day, then user, then time. Sorting each file by its random event_ids was the costliest
-- part of loading it (docs/benchmarks-warehouse.md, goal 2); time order, which the file nearly
-- follows, was cheap, and by user is cheaper still: a user's events sit together, so the
-- repeated session_id, device_id and payload values compress, and the load, the merges after it
-- and every erasure's rewrite of the personal columns move less data (the fact phase 0.74-0.76x
-- of time order at 200k users: docs/benchmarks-warehouse.md, "Seventeenth session").
{{ config "order_by" "(event_date, user_id, event_timestamp)" }}
-- depends_on: {{ ref "event_types" }}
