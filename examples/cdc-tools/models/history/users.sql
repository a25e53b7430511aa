-- History (SCD2) of the user accounts, read from the CDC tool's table users (var cdc_tool: peerdb
-- or debezium). Each run applies the rows whose cursor (_peerdb_version, or the Kafka _offset) is
-- past the one committed; cdc_format is detected from the tool's columns.
{{ config "unique_key" "user_id" }}
{{- if eq (var "cdc_tool" "peerdb") "debezium" }}
SELECT * FROM {{ source "debezium" "users" }}
{{- else }}
SELECT * FROM {{ source "peerdb" "users" }}
{{- end }}
