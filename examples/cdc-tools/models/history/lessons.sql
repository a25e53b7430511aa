-- History (SCD2) of the lessons catalogue, read from the CDC tool's table lessons (var cdc_tool: peerdb
-- or debezium). Each run applies the rows whose cursor (_peerdb_version, or the Kafka _offset) is
-- past the one committed; cdc_format is detected from the tool's columns.
{{ config "unique_key" "lesson_id" }}
{{- if eq (var "cdc_tool" "peerdb") "debezium" }}
SELECT * FROM {{ source "debezium" "lessons" }}
{{- else }}
SELECT * FROM {{ source "peerdb" "lessons" }}
{{- end }}
