-- Every payment is counted in exactly one order's amount, whatever its method.
with by_method as (
    select
        {% for m in var('payment_methods') -%}
        sum({{ m }}_amount){% if not loop.last %} + {% endif %}
        {%- endfor %} as per_method,
        sum(amount) as total
    from {{ ref('orders') }}
)
select * from by_method
where abs(per_method - total) > 0.001
   or total != (select sum(amount) / 100 from {{ ref('raw_payments') }})
