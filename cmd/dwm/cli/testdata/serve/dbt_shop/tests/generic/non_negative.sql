{% test non_negative(model, column_name, strict=false) %}
select * from {{ model }} where {{ column_name }} {% if strict %}<={% else %}<{% endif %} 0
{% endtest %}
