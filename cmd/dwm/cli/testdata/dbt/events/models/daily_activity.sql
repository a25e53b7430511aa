{{ config(materialized='table', order_by='date_day') }}

with spine as (
    {{ dbt_utils.date_spine(datepart="day", start_date="toDate('2024-01-01')", end_date="toDate('2024-01-08')") }}
),

daily as (
    select toDate(occurred_at) as day, count() as events, sum(weight) as weight
    from {{ ref('events_incremental') }}
    group by day
)

select
    spine.date_day,
    daily.events,
    daily.weight,
    {%- set level = var('activity_level', 'coarse') %}
    {% if level == 'fine' -%}
    daily.weight / greatest(daily.events, 1) as intensity
    {%- elif level == 'coarse' -%}
    if(daily.events > 1, 'busy', 'quiet') as intensity
    {%- else -%}
    null as intensity
    {%- endif %}
from spine
left join daily on daily.day = spine.date_day
