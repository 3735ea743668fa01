{#
    One row per KvK establishment, the latest extract winning (an extract delivered twice, or a newer one
    beside an older one): the WHERE and QUALIFY clauses of a select from stg_kvk__establishments.
    `alias`: the table alias of that select, if it has one.
#}
{% macro latest_extract_per_establishment(alias=none) -%}
{%- set p = alias ~ '.' if alias else '' -%}
where {{ p }}vestigingsnummer is not null
    qualify row_number() over (
        partition by {{ p }}vestigingsnummer
        order by {{ p }}extract_date desc nulls last, {{ p }}kvk_number
    ) = 1
{%- endmacro %}
