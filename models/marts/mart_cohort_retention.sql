{{- /* Retention by signup cohort: of the users who signed up in a simulated week and whose account still
       existed at the start of week N after it, the share active in week N. Only cohorts inside the
       simulated calendar: the initial users signed up before the data starts (up to two years
       earlier), and their early weeks are not in the warehouse, so a "retention 100 weeks after
       signup" from them would only describe the survivors; they stay in mart_user_engagement
       (signed_up_in_period = false). */ -}}
{{ config "materialized" "table" "order_by" "(cohort_week, weeks_since_signup)" }}
SELECT
    cohort_week,
    weeks_since_signup,
    toUInt32(uniqExact(user_id)) AS cohort_users,
    toUInt32(uniqExactIf(user_id, active)) AS active_users,
    round(active_users / cohort_users, 4) AS retention
FROM {{ ref "mart_user_engagement" }}
WHERE signed_up_in_period
GROUP BY cohort_week, weeks_since_signup
