-- CDC landing for ligue_tiers: every weekly ligue_tiers.csv is loaded once, typed by staging.yml.
{{ config "files" "${cdc_dir}/*/ligue_tiers.csv" }}
