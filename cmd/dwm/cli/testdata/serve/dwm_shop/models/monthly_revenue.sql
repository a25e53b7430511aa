{{ config "materialized" "table" "order_by" "month" }}
select toStartOfMonth(ordered_on) as month, country, sum(amount) as revenue, count() as orders
from {{ ref "stg_orders" }} as o
join {{ ref "customer_totals" }} as t on t.customer_id = o.customer_id
where status = 'paid'
group by month, country
