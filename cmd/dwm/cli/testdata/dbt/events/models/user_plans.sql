{{ config(materialized='table', order_by='user_id', tags=['users']) }}

{% set plans = ['pro', 'trial', 'free'] %}

select
    u.id as user_id,
    u.name,
    u.plan,
    {{ plan_rank('u.plan') }} as plan_rank,
    {% for p in plans %}
    u.plan = '{{ p }}' as is_{{ p }}{{ "," if not loop.last }}
    {% endfor %}
from {{ ref('raw_users') }} as u
where u.plan in ({% for p in plans %}'{{ p }}'{% if not loop.last %}, {% endif %}{% endfor %})
