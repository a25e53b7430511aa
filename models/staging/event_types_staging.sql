-- CDC landing for event_types: every weekly event_types.csv is loaded once, typed by staging.yml.
{{ config "files" "${cdc_dir}/*/event_types.csv" }}
