{#
    Column test: per group, sum(`column_name`) in the model equals sum(`compare_column`) in
    `compare_model`, within `tolerance`. Groups present on one side only fail too.
#}
{% test sums_reconcile(model, column_name, compare_model, compare_column, group_by=[], tolerance=0) %}
    {%- set group_csv = group_by | join(', ') %}
    with

    model_sums as (
        select
            {% for column in group_by %}{{ column }}, {% endfor %}
            sum({{ column_name }}) as total
        from {{ model }}
        {% if group_by %}group by {{ group_csv }}{% endif %}
    ),

    compare_sums as (
        select
            {% for column in group_by %}{{ column }}, {% endfor %}
            sum({{ compare_column }}) as total
        from {{ compare_model }}
        {% if group_by %}group by {{ group_csv }}{% endif %}
    )

    select
        {% for column in group_by %}coalesce(m.{{ column }}, c.{{ column }}) as {{ column }}, {% endfor %}
        m.total as model_total,
        c.total as compare_total
    from model_sums as m
    full outer join compare_sums as c
        on {% for column in group_by %}m.{{ column }} is not distinct from c.{{ column }}{% if not loop.last %} and {% endif %}{% else %}true{% endfor %}
    where m.total is null
       or c.total is null
       or abs(m.total - c.total) > {{ tolerance }}
{% endtest %}
