with customers as (
    select {{ dbt_utils.star(from=ref('stg_customers'), except=['last_name']) }}
    from {{ ref('stg_customers') }}
),

orders as (
    select * from {{ ref('stg_orders') }}
),

payments as (
    select * from {{ ref('stg_payments') }}
),

customer_orders as (
    select
        customer_id,
        min(order_date) as first_order,
        max(order_date) as most_recent_order,
        count(order_id) as number_of_orders
    from orders
    group by customer_id
),

customer_payments as (
    select
        orders.customer_id,
        sum(amount) as total_amount
    from payments
    left join orders on payments.order_id = orders.order_id
    group by orders.customer_id
)

select
    -- ClickHouse keeps the qualifier of a column name that several joined tables have: alias it
    customers.customer_id as customer_id,
    customers.first_name as first_name,
    customer_orders.first_order,
    customer_orders.most_recent_order,
    customer_orders.number_of_orders,
    customer_payments.total_amount as customer_lifetime_value,
    {{ safe_ratio(numerator='customer_payments.total_amount', denominator='customer_orders.number_of_orders') }} as average_order_value
from customers
left join customer_orders on customers.customer_id = customer_orders.customer_id
left join customer_payments on customers.customer_id = customer_payments.customer_id
