-- Orders and revenue per country: a view over the orders model and the countries seed.
select
    c.name as country,
    c.continent as continent,
    count() as orders,
    sum(o.amount) as revenue
from {{ ref "orders" }} as o
join {{ ref "countries" }} as c on c.code = o.country_code
group by c.name, c.continent
