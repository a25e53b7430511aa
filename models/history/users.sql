-- History (SCD2) of users: one version per change, keyed by user_id.
{{ config "unique_key" "user_id" }}
SELECT * FROM {{ ref "users_staging" }}
