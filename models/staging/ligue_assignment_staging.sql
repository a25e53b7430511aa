-- CDC landing for ligue_assignment: every weekly ligue_assignment.csv is loaded once, typed by staging.yml.
{{ config "files" "${cdc_dir}/*/ligue_assignment.csv" }}
