-- Every order is counted under exactly one status.
select * from (
    select sum({% for s in ['paid', 'pending', 'refunded'] %}{{ s }}_orders{% if not loop.last %} + {% endif %}{% endfor %}) as counted
    from {{ ref('status_summary') }}
) where counted != (select count() from {{ ref('orders') }})
