-- CDC landing for lessons: every weekly lessons.csv is loaded once, typed by staging.yml.
{{ config "files" "${cdc_dir}/*/lessons.csv" }}
