{# A macro with a keyword argument and a default, from dbt's docs on macros. #}
{% macro cents_to_dollars(column_name, scale=2) -%}
    round({{ column_name }} / 100, {{ scale }})
{%- endmacro %}

{% macro safe_ratio(numerator, denominator, default_value=0) -%}
    if({{ denominator }} = 0, {{ default_value }}, {{ numerator }} / {{ denominator }})
{%- endmacro %}
