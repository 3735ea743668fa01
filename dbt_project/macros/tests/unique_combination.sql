{#
    Model-level primary-key test: no two rows share the same values of `combination_of_columns`.
    Pair it with not_null on each column: GROUP BY treats NULLs as equal, so a NULL key part
    would still be caught here only when it repeats.
#}
{% test unique_combination(model, combination_of_columns) %}
    {%- set columns_csv = combination_of_columns | join(', ') %}
    select
        {{ columns_csv }},
        count(*) as n_rows
    from {{ model }}
    group by {{ columns_csv }}
    having count(*) > 1
{% endtest %}
