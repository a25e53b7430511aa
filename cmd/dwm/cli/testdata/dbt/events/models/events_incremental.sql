{{
    config(
        materialized='incremental',
        unique_key='event_id',
        order_by='event_id'
    )
}}

select
    event_id,
    user_id,
    event_type,
    occurred_at,
    {{ event_weight('event_type', {'purchase': 10, 'lesson': 2, 'signup': 1}) }} as weight
from {{ ref('stg_events') }}

{% if is_incremental() %}
  -- only the events newer than the newest already loaded
  where occurred_at > (select max(occurred_at) from {{ this }})
{% endif %}
