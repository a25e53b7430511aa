{#- A dispatched macro, as packages write them: ClickHouse's implementation wins. -#}
{% macro plan_rank(column) -%}
  {{ return(adapter.dispatch('plan_rank')(column)) }}
{%- endmacro %}

{% macro default__plan_rank(column) -%}
  case {{ column }} when 'pro' then 3 when 'free' then 1 else 0 end
{%- endmacro %}

{% macro clickhouse__plan_rank(column) -%}
  multiIf({{ column }} = 'pro', 3, {{ column }} = 'trial', 2, {{ column }} = 'free', 1, 0)
{%- endmacro %}

{% macro event_weight(event_type, weights) -%}
  {%- for name, w in weights.items() %}
  {%- if loop.first %}multiIf({% endif -%}
  {{ event_type }} = '{{ name }}', {{ w }}, {% if loop.last %}0){% endif -%}
  {% endfor -%}
{%- endmacro %}
