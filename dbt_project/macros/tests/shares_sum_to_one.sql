{#
    Column test: within each group (`group_by`), the shares in `column_name` add up to 1 within
    `tolerance`. Groups whose shares are all NULL (a total of zero, so no share can be computed)
    are skipped.
#}
{% test shares_sum_to_one(model, column_name, group_by, tolerance=1e-9) %}
    {%- set group_csv = group_by | join(', ') %}
    select
        {{ group_csv }},
        sum({{ column_name }}) as total_share
    from {{ model }}
    group by {{ group_csv }}
    having count({{ column_name }}) > 0
       and abs(sum({{ column_name }}) - 1) > {{ tolerance }}
{% endtest %}
