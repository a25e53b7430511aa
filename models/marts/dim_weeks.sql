{{- /* The calendar of simulated weeks. It is built from the data, not the wall clock: the weeks span
       the league groups that exist, and the current week is the latest one simulated. */ -}}
{{ config "materialized" "table" "order_by" "week_start_date" }}
WITH bounds AS (
    SELECT min(week_start_date) AS first_week, max(week_start_date) AS last_week
    FROM {{ ref "ligue_instances" }}
),
weeks AS (
    SELECT
        toDate(addWeeks(first_week, n)) AS week_start_date,
        toUInt8(n + 1) AS week_number,
        last_week
    FROM bounds
    ARRAY JOIN range(toUInt32(dateDiff('week', first_week, last_week) + 1)) AS n
    WHERE first_week > toDate('1970-01-01')
)
SELECT
    week_start_date,
    toDate(week_start_date + 6) AS week_end_date,
    week_number,
    toUInt8(toISOWeek(week_start_date)) AS week_of_year,
    toUInt8(toMonth(week_start_date)) AS month,
    toUInt16(toYear(week_start_date)) AS year,
    toUInt8(toQuarter(week_start_date)) AS quarter,
    CAST(week_start_date = last_week AS Bool) AS is_current_week,
    -- A week is a month's (quarter's) start week when the first day of a month (quarter) falls in it,
    -- and its end week when the last day does.
    CAST(toMonth(week_start_date - 1) != toMonth(week_end_date) AS Bool) AS is_month_start_week,
    CAST(toMonth(week_end_date + 1) != toMonth(week_start_date) AS Bool) AS is_month_end_week,
    CAST(toStartOfQuarter(week_start_date - 1) != toStartOfQuarter(week_end_date) AS Bool) AS is_quarter_start_week,
    CAST(toStartOfQuarter(week_end_date + 1) != toStartOfQuarter(week_start_date) AS Bool) AS is_quarter_end_week,
    toDateTime(week_end_date + 1) AS created_at
FROM weeks
