-- History (SCD2) of the clickstream event types, read from the CDC tool's table event_types (var cdc_tool: peerdb
-- or debezium). Each run applies the rows whose cursor (_peerdb_version, or the Kafka _offset) is
-- past the one committed; cdc_format is detected from the tool's columns.
{{ config "unique_key" "event_type_id" }}
{{- if eq (var "cdc_tool" "peerdb") "debezium" }}
SELECT * FROM {{ source "debezium" "event_types" }}
{{- else }}
SELECT * FROM {{ source "peerdb" "event_types" }}
{{- end }}
