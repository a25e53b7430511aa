-- CDC landing for users: every weekly users.csv is loaded once, typed by staging.yml.
{{ config "files" "${cdc_dir}/*/users.csv" }}
