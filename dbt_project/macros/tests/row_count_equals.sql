{#
    Model-level test: the model has exactly as many rows as `compare_model`. Used where a join must
    neither drop nor duplicate rows (no fan-out).
#}
{% test row_count_equals(model, compare_model) %}
    with

    counts as (
        select
            (select count(*) from {{ model }}) as n_model,
            (select count(*) from {{ compare_model }}) as n_compare
    )

    select *
    from counts
    where n_model <> n_compare
{% endtest %}
