-- CDC landing for ligue_instances: every weekly ligue_instances.csv is loaded once, typed by staging.yml.
{{ config "files" "${cdc_dir}/*/ligue_instances.csv" }}
