{#
    Model-level test for a wide table: on every row the shares in `columns` add up to 1 within
    `tolerance`. Rows where any of them is NULL (a total of zero, so no share) are skipped; an optional
    `where_clause` limits the rows checked. The long-table counterpart is shares_sum_to_one.
#}
{% test shares_across_columns_sum_to_one(model, columns, tolerance=1e-9, where_clause=none) %}
    select *
    from {{ model }}
    where
        {% for column in columns %}{{ column }} is not null and {% endfor %}
        abs(({% for column in columns %}{{ column }}{% if not loop.last %} + {% endif %}{% endfor %}) - 1)
        > {{ tolerance }}
        {% if where_clause %}and ({{ where_clause }}){% endif %}
{% endtest %}
