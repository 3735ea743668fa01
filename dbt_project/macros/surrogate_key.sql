{#
    Deterministic surrogate key: md5 over the columns cast to text and joined with '|'.
    NULL becomes '_null_' so that (NULL, 'a') and ('', 'a') give different keys.
#}
{% macro surrogate_key(columns) -%}
    md5(
        {%- for column in columns %}
        coalesce(cast({{ column }} as varchar), '_null_'){% if not loop.last %} || '|' ||{% endif %}
        {%- endfor %}
    )
{%- endmacro %}
