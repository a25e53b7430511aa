{{ config(materialized='view') }}
select
    toUInt64(id) as order_id,
    toUInt64(customer_id) as customer_id,
    toDecimal64(amount_cents / 100, 2) as amount,
    toString(status) as status,
    toDate(ordered_on) as ordered_on
from {{ ref('orders') }}
