-- The app's clickstream read from its Kafka topic's table (var cdc_tool picks the database), one
-- batch per run: the rows whose _offset is past the one committed. Deduplicated by event_id across
-- batches; rows with broken JSON or unknown event types go to event_stream__quarantine (facts.yml).
{{ config "materialized" "fact" }}
{{ config "unique_key" "event_id" }}
{{ config "dedupe_scope" "event_date" }}
{{ config "cursor" "_offset" }}
-- depends_on: {{ ref "event_types" }}
SELECT event_id, user_id, event_type_id, event_timestamp, event_date, payload, session_id, platform, app_version, device_id, _offset
{{- if eq (var "cdc_tool" "peerdb") "debezium" }}
FROM {{ source "debezium" "event_stream" }}
{{- else }}
FROM {{ source "peerdb" "event_stream" }}
{{- end }}
