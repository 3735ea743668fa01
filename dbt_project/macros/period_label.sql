{#
    The label of the period of `grain` ('year', 'quarter' or 'month'; a column or a quoted literal) that
    holds the date `date_column`: 2024, 2024-Q3, 2024-07. fct_local_spend_share labels its periods with it,
    and the disclosure units (int_disclosure_contributions, int_disclosure_relations) name the same
    periods with it, so the unit ids and the mart's rows always agree.
#}
{% macro period_label(grain, date_column) -%}
    case {{ grain }}
        when 'year' then strftime({{ date_column }}, '%Y')
        when 'quarter' then strftime({{ date_column }}, '%Y') || '-Q' || cast(quarter({{ date_column }}) as varchar)
        else strftime({{ date_column }}, '%Y-%m')
    end
{%- endmacro %}
