{#
    Model-level test: no text column of the model holds the name of a natural person (privacy by design:
    such names never leave the raw layer; docs/architecture.md, "Privacy").

    The names are taken from the raw layer itself, independently of the pseudonymisation in staging, by
    the restricted model natural_person_names (schema raw), built once per build before the tests that read
    it (computed in each run instead, at a register of a million establishments the 81 runs of this test
    took 131 s, now 17 s; README "Scale and speed"):
      - the KvK extract's statutaire naam, eerste handelsnaam and every handelsnaam of establishments whose
        rechtsvorm is a natural-person form of seed legal_form_groups, or not in the seed (unknown);
      - every spelling the anchors' invoice lines use for a creditor that supplier resolution tied to such
        an establishment (resolution.supplier_matches.supplier_names, which the resolution step collects from
        raw.invoice_lines; the singular test assert_supplier_names_cover_the_raw_lines checks that none is
        missing);
    less any name a legal entity of the extract also carries (a sole trader's trade name "Kaya Bakkerij"
    next to "Kaya Bakkerij" of a B.V.: as text the two cannot be told apart) and names shorter than 4
    characters. Every VARCHAR column of the model is compared, case-insensitively and trimmed, as a whole
    value; the names never appear in compiled SQL (they are read at run time). `dbt test` alone compares
    with the names as last built: after a new register or new matches, build natural_person_names first
    (`dbt build` does). tests/test_privacy.py also searches for the names inside longer text, in every
    relation, export and the dashboard.
    A failing row names the column and the offending value.

    high_cardinality_columns: text columns with (nearly) one value per row, such as a line key or invoice
    number. They are compared row by row (a semi-join on the names) instead of through their distinct
    values: the same result, without a hash table of ten million values (at 10M lines 3.0 -> 1.2 s for
    invoice_line_key, 1.0 -> 0.3 s for invoice_id; benchmarks/). Trimming every value costs more than
    the comparison itself, so only values that start or end with a space are trimmed: any other value
    is its own trimmed form (DuckDB's trim removes spaces only). At 10M lines, invoice_line_key of
    int_invoice_lines_placed 0.91 -> 0.24 s, of the view stg_anchors__invoice_lines 1.66 -> 0.99 s.
    Every other column keeps the distinct values first, which is faster where values repeat. (Looked at,
    not kept: the distinct values of all such columns in one scan of the model, as lists: faster on the view
    fct_invoice_lines, 2.3 -> 1.6 s, but slower on the tables, int_invoice_lines_placed 5.8-6.1 -> 7.4 s.)

    digest_columns: text columns that a view computes as a hash of its other columns (surrogate_key: 32
    hexadecimal digits) and does not store. They are left out: no name can be such a value, the columns
    hashed are compared themselves, and where the key is stored (int_invoice_lines_placed) it is compared
    too. Computing the md5 of every line only to compare it took 2.2 of the 4.7-5.5 s of this test on the
    view stg_anchors__invoice_lines at 10M lines.

    A listed column the model does not have is an error.
#}
{% test no_natural_person_names(model, column_name=none, high_cardinality_columns=[], digest_columns=[]) %}
{%- set digests = digest_columns | map('lower') | list -%}
{%- set all_text_columns = [] -%}
{%- set text_columns = [] -%}
{%- for col in adapter.get_columns_in_relation(model) -%}
    {%- if col.is_string() -%}
        {%- do all_text_columns.append(col.name | lower) -%}
        {%- if col.name | lower not in digests -%}{%- do text_columns.append(col.name) -%}{%- endif -%}
    {%- endif -%}
{%- endfor %}
{%- set per_row = high_cardinality_columns | map('lower') | list -%}
{%- if execute -%}
    {%- for listed, argument in [(per_row, 'high_cardinality_columns'), (digests, 'digest_columns')] -%}
        {%- set missing = [] -%}
        {%- for name in listed -%}
            {%- if name not in all_text_columns -%}{%- do missing.append(name) -%}{%- endif -%}
        {%- endfor -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error("no_natural_person_names on " ~ model ~ ": " ~ argument ~ " "
                ~ missing | join(', ') ~ " are not text columns of the model") }}
        {%- endif -%}
    {%- endfor -%}
{%- endif %}

with

-- Built once per build (models/restricted/natural_person_names.sql), not in each of this test's runs.
personal_names as (

    select name from {{ ref('natural_person_names') }}

),

model_values as (

    {% if text_columns %}
    {#- Each column's distinct values first, then lower and trim on those: at 10 million lines a few
        thousand distinct values per column instead of every line (3.5x faster on the line-level tables). #}
    {%- for col in text_columns %}
    {%- if col | lower in per_row %}
    {%- set text = 'cast(' ~ adapter.quote(col) ~ ' as varchar)' %}
    select '{{ col }}' as column_name, lower(trim({{ text }})) as value
    from {{ model }}
    where lower(
        case when starts_with({{ text }}, ' ') or ends_with({{ text }}, ' ') then trim({{ text }}) else {{ text }} end
    ) in (select name from personal_names)
    group by 2
    {%- else %}
    select '{{ col }}' as column_name, lower(trim(cast(distinct_values.value as varchar))) as value
    from (
        select {{ adapter.quote(col) }} as value
        from {{ model }}
        where {{ adapter.quote(col) }} is not null
        group by 1
    ) as distinct_values
    group by 2
    {%- endif %}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
    {% else %}
    select cast(null as varchar) as column_name, cast(null as varchar) as value
    where false
    {% endif %}

)

select model_values.column_name, model_values.value
from model_values
inner join personal_names
    on model_values.value = personal_names.name

{% endtest %}
