{{- /* Retention by signup cohort: of the users who signed up in a week, the share active N weeks later. */ -}}
{{ config "materialized" "table" "order_by" "(cohort_week, weeks_since_signup)" }}
SELECT
    cohort_week,
    weeks_since_signup,
    toUInt32(uniqExact(user_id)) AS cohort_users,
    toUInt32(uniqExactIf(user_id, active)) AS active_users,
    round(active_users / cohort_users, 4) AS retention
FROM {{ ref "mart_user_engagement" }}
GROUP BY cohort_week, weeks_since_signup
