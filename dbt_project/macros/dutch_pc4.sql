{#
    The PC4 (4 digits, first not 0) of a Dutch postcode written `1068AB`, `1068 AB` or `1068`;
    NULL for anything else (foreign postcodes, typos).
#}
{% macro dutch_pc4(postcode) -%}
    nullif(regexp_extract(upper(replace(cast({{ postcode }} as varchar), ' ', '')), '^([1-9][0-9]{3})([A-Z]{2})?$', 1), '')
{%- endmacro %}
