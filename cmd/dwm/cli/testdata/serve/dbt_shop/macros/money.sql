{# Cents to a decimal amount: a keyword argument with a default. #}
{% macro to_dollars(cents_expr, scale=2) -%}
    toDecimal64({{ cents_expr }} / 100, {{ scale }})
{%- endmacro %}
