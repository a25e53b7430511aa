-- 100 made-up orders from ClickHouse's numbers() table function; replace with your own data,
-- e.g. a source (models/*.yml `sources:`) or a seed.
{{ config "materialized" "table" "order_by" "order_id" }}
select
    number + 1 as order_id,
    ['fr', 'de', 'jp', 'br'][number % 4 + 1] as country_code,
    toDecimal64(10 + (number * 37) % 90, 2) as amount
from numbers(100)
