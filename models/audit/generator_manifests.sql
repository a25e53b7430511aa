{{- /* Every week's manifest.json as the generator wrote it, one row (column json) per file, loaded
       once like a CDC file: so the ground truth reaches the warehouse the same way from the local
       disk, from object storage (cdc_dir: s3://...) or sent by dwm to a server. */ -}}
{{ config "materialized" "staging" }}
{{ config "files" "${cdc_dir}/*/manifest.json" }}
{{ config "format" "JSONAsString" }}
