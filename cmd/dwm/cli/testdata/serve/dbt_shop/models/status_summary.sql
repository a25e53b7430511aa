{{ config(materialized='table', order_by='country') }}
{% set statuses = var('statuses', ['paid', 'pending', 'refunded']) %}
select
    c.country as country,
    {% for s in statuses -%}
    countIf(o.status = '{{ s }}') as {{ s }}_orders,
    {% endfor -%}
    {{ to_dollars('sum(o.amount_cents)') }} as total,
    {{ to_dollars(cents_expr='max(o.amount_cents)', scale=0) }} as largest,
    {% for s in statuses %}'{{ s }}'{% if not loop.last %} || ',' || {% endif %}{% endfor %} as statuses
from {{ ref('orders') }} as o
join {{ ref('customers') }} as c on toUInt64(c.id) = o.customer_id
group by c.country
