{#
    Model-level test: every row satisfies `expression` (rows where it is false or NULL fail).
    An optional `where_clause` limits the rows checked. Usable on a column too (`column_name` unused).
#}
{% test expression_is_true(model, expression, where_clause=none, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
    {% if where_clause %}and ({{ where_clause }}){% endif %}
{% endtest %}
