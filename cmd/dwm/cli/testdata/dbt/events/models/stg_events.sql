{{ config(materialized='view') }}
{#- Events from the app, without the test traffic before launch. -#}
select
    event_id,
    user_id,
    event_type,
    occurred_at
from {{ ref('raw_events') }}
where toDate(occurred_at) >= toDate('{{ var("min_event_date") }}')
