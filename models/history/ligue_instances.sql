-- History (SCD2) of ligue_instances: one version per change, keyed by instance_id.
{{ config "unique_key" "instance_id" }}
SELECT * FROM {{ ref "ligue_instances_staging" }}
