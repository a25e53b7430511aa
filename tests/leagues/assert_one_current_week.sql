-- Exactly one week of the calendar is the current (latest simulated) week, and it is the last one.
SELECT countIf(is_current_week) AS current_weeks, max(week_start_date) AS last_week,
       anyIf(week_start_date, is_current_week) AS current_week
FROM {{ ref "dim_weeks" }}
HAVING current_weeks != 1 OR current_week != last_week
