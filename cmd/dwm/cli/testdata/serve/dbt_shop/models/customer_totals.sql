{{ config(materialized='table', order_by='customer_id') }}
select
    toUInt64(c.id) as customer_id,
    toString(c.name) as name,
    toString(c.country) as country,
    count(o.order_id) as orders,
    sumIf(o.amount, o.status = 'paid') as paid
from {{ ref('customers') }} as c
left join {{ ref('stg_orders') }} as o on o.customer_id = toUInt64(c.id)
group by c.id, c.name, c.country
