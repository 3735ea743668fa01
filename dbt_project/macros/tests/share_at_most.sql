{#
    Model-level test for a data-quality threshold: per group, the part of sum(`amount_column`)
    on rows matching `condition` is at most `max_share` of the group's sum of absolute amounts.
#}
{% test share_at_most(model, amount_column, condition, max_share, group_by) %}
    {%- set group_csv = group_by | join(', ') %}
    select
        {{ group_csv }},
        sum(abs({{ amount_column }})) filter (where {{ condition }}) / sum(abs({{ amount_column }})) as share
    from {{ model }}
    group by {{ group_csv }}
    having sum(abs({{ amount_column }})) > 0
       and coalesce(sum(abs({{ amount_column }})) filter (where {{ condition }}), 0)
           > {{ max_share }} * sum(abs({{ amount_column }}))
{% endtest %}
