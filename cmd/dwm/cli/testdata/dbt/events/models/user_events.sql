{{ config(materialized='view') }}
-- depends_on: {{ ref('raw_events') }}
select e.user_id, count() as events, {{ dbt_utils.generate_surrogate_key(['e.user_id']) }} as user_key
from {{ source('app', 'raw_events_src') }} as e
group by e.user_id
