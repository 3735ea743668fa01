{#
    Privacy by design (docs/architecture.md, "Privacy"): the pseudonym that replaces the name of a
    natural person beyond the raw layer, and the name markers of the conservative rule for suppliers
    whose legal form is unknown.
#}

{#
    A stable pseudonym: `<label> <10 upper-case hex digits of sha256(salt | key)>`, e.g.
    `Eenmanszaak 3F9A2C1B7D`. The salt is the DuckDB session variable cwb_pseudonym_salt, which the
    dbt-duckdb plugin ingestion.dbt_plugin sets from CWB_PSEUDONYM_SALT (never written into SQL); without
    it the query fails rather than hash with an empty salt. The key decides what is "the same person":
    `kvk:<KvK number>` for a known organisation (one pseudonym in every anchor and in the register),
    `crediteur:<anchor_code>|<creditor number>` otherwise. ingestion/privacy.py `pseudonym` computes the
    same value in Python.
#}
{% macro pseudonym(label, key) -%}
    ({{ label }} || ' ' || upper(left(sha256(
        cast(coalesce(getvariable('cwb_pseudonym_salt'), error('pseudonym salt not set: see ingestion/privacy.py')) as varchar)
        || '|' || {{ key }}
    ), 10)))
{%- endmacro %}

{#
    The label of a pseudonym: what kind of supplier, never who. KvK rechtsvorm labels of natural-person
    legal forms get their short Dutch name; anything else (unknown legal form, no establishment) is a
    "Leverancier".
#}
{% macro pseudonym_label(legal_form) -%}
    case lower(trim({{ legal_form }}))
        when 'eenmanszaak' then 'Eenmanszaak'
        when 'vennootschap onder firma' then 'VOF'
        when 'maatschap' then 'Maatschap'
        when 'commanditaire vennootschap' then 'CV'
        when 'rederij' then 'Rederij'
        else 'Leverancier'
    end
{%- endmacro %}

{#
    A name normalised for marker matching: lower case, accents stripped, dots, apostrophes and slashes
    dropped (`B.V.` -> `bv`, `A/S` -> `as`), any other non-alphanumeric run -> one space.
#}
{% macro normalised_name(name) -%}
    trim(regexp_replace(
        regexp_replace(lower(strip_accents(cast({{ name }} as varchar))), '[.''’/]', '', 'g'),
        '[^a-z0-9]+', ' ', 'g'
    ))
{%- endmacro %}

{#
    TRUE when a supplier name carries a legal-entity marker: a legal-form abbreviation as its last word
    (bv, nv, ua, wa, ba, cvba, bvba, sa, sas, sarl, srl, spa, ag, se, kgaa, as, ltd, llc, inc, corp, plc),
    or anywhere the word of a legal-entity form or of a public body (stichting, vereniging, vve,
    cooperatie, cooperatieve, kerkgenootschap, waarborgmaatschappij, gmbh, limited, gemeente, provincie,
    waterschap, hoogheemraadschap, ministerie, belastingdienst, uwv). Abbreviations count only as the
    last word: `N.V. de Vries` (initials) is not a company, `De Vries N.V.` is.
#}
{% macro has_legal_entity_marker(name) -%}
    coalesce(
        regexp_matches(
            {{ normalised_name(name) }},
            '(^| )(bv|nv|ua|wa|ba|cvba|bvba|sa|sas|sarl|srl|spa|ag|se|kgaa|as|ltd|llc|inc|corp|plc)$'
        )
        or regexp_matches(
            {{ normalised_name(name) }},
            '(^| )(stichting|vereniging|vve|cooperatie|cooperatieve|kerkgenootschap|waarborgmaatschappij|gmbh|limited|gemeente|provincie|waterschap|hoogheemraadschap|ministerie|belastingdienst|uwv)( |$)'
        ),
        false
    )
{%- endmacro %}

{#
    TRUE when a supplier name says its owners are natural persons: vof, cv, maatschap, eenmanszaak,
    "vennootschap onder firma", "commanditaire vennootschap" as words anywhere. It overrides a
    legal-entity marker and even a register match to a legal entity (a stale KvK number): better one
    pseudonym too many than one name too many.
#}
{% macro has_natural_person_marker(name) -%}
    coalesce(
        regexp_matches(
            {{ normalised_name(name) }},
            '(^| )(vof|cv|maatschap|eenmanszaak|vennootschap onder firma|commanditaire vennootschap)( |$)'
        ),
        false
    )
{%- endmacro %}

{#
    The id of a disclosure-control unit (one published row of figures; ingestion/disclosure.py):
    `<family>|<part>|<part>...`, NULL parts written `_null_`. The marts build the same id to join
    int_disclosure_decisions.
#}
{% macro disclosure_unit(family, parts) -%}
    ('{{ family }}'
    {%- for part in parts %} || '|' || coalesce(cast({{ part }} as varchar), '_null_'){% endfor -%}
    )
{%- endmacro %}

{#
    The place class of a tier in the recipient marts' figures: what fct_spend_by_recipient_group and
    fct_sector_leakage let a reader compute (Nieuw-West, the rest of Amsterdam, outside Amsterdam, unknown).
#}
{% macro disclosure_place(tier) -%}
    case
        when {{ tier }} in ('nieuw_west', 'rest_of_amsterdam', 'unknown') then {{ tier }}
        else 'outside_amsterdam'
    end
{%- endmacro %}

{#
    The suppression columns of a mart row, from int_disclosure_decisions joined as `alias` on its unit id
    (a row without a decision has no money to protect: published in full). For the marts whose rows are
    units of the recipient family (with a place split) or the tier family.
#}
{% macro disclosure_is_suppressed(alias) -%}
    coalesce({{ alias }}.publication_level = 'none', false)
{%- endmacro %}

{% macro disclosure_is_place_split_suppressed(alias) -%}
    coalesce({{ alias }}.publication_level in ('totals', 'none'), false)
{%- endmacro %}

{% macro disclosure_reason(alias) -%}
    case when {{ alias }}.publication_level <> 'full' then {{ alias }}.suppression_reason end
{%- endmacro %}

{#
    A stable key that names nobody and cannot be reversed without the salt: the first 32 hex digits of
    sha256(salt | the columns joined as in surrogate_key). For keys built from KvK or vestigingsnummers
    (supplier_key, establishment_key, candidate_key): an unkeyed md5 of an 8-digit KvK number is reversed
    by trying all 10^8 numbers, and a sole trader's KvK number leads to the name. ingestion/privacy.py
    `keyed_key` computes the same value in Python.
#}
{% macro keyed_key(columns) -%}
    left(sha256(
        cast(coalesce(getvariable('cwb_pseudonym_salt'), error('pseudonym salt not set: see ingestion/privacy.py')) as varchar)
        || '|' ||
        {%- for column in columns %}
        coalesce(cast({{ column }} as varchar), '_null_'){% if not loop.last %} || '|' ||{% endif %}
        {%- endfor %}
    ), 32)
{%- endmacro %}

{#
    A publication view of a mart (models/publication/): every row and column of the mart, with the
    figures its suppression flags withhold set to NULL. `withhold` maps a boolean flag column to the
    columns it withholds (a column withheld by several flags is NULL when any is TRUE). `rerank`
    (optional: {'column': ..., 'partition': [...], 'type': ...}) renumbers a rank column among the rows
    that are not suppressed, so that no gap shows where a withheld row stood; suppressed rows get NULL.
#}
{% macro publish(mart, withhold={}, rerank=none) -%}
{%- set flags_by_column = {} -%}
{%- for flag, columns in withhold.items() -%}
    {%- for column in columns -%}
        {%- do flags_by_column.setdefault(column, []).append(flag) -%}
    {%- endfor -%}
{%- endfor -%}
{%- if rerank is not none and rerank['column'] in flags_by_column -%}
    {%- do flags_by_column.pop(rerank['column']) -%}
{%- endif -%}
select
    *{% if flags_by_column or rerank is not none %} replace (
    {%- for column, flags in flags_by_column.items() %}
        case when {{ flags | join(' or ') }} then null else {{ column }} end as {{ column }}
        {%- if not loop.last or rerank is not none %},{% endif %}
    {%- endfor %}
    {%- if rerank is not none %}
        case when not is_suppressed then cast(row_number() over (
            partition by {{ rerank['partition'] | join(', ') }}, is_suppressed order by {{ rerank['column'] }}
        ) as {{ rerank['type'] }}) end as {{ rerank['column'] }}
    {%- endif %}
    ){% endif %}
from {{ ref(mart) }}
{%- endmacro %}

{#
    The names of natural persons in the KvK extract, lower-cased and trimmed, as a query with one column
    `name`: statutaire naam, eerste handelsnaam and every handelsnaam of establishments whose rechtsvorm is
    a natural-person form of seed legal_form_groups or not in the seed (unknown), less every name a legal
    entity of the extract also carries (as text the two cannot be told apart), and names shorter than 4
    characters. Read from the raw layer. Used by stg_resolution__supplier_matches: a creditor name that is
    such a name is pseudonymised even when the creditor is a legal entity. The test no_natural_person_names
    applies the same rule with code of its own (models/restricted/natural_person_names.sql), so that it
    checks this model independently.
#}
{% macro register_personal_names() -%}
    with register as (
        select
            est.*,
            coalesce(groups.is_natural_person, true) as owners_are_natural_persons
        from {{ source('raw', 'kvk_establishments') }} as est
        left join {{ ref('legal_form_groups') }} as groups
            on lower(trim(cast(est.rechtsvorm as varchar))) = lower(trim(groups.legal_form))
    ),
    register_names as (
        select owners_are_natural_persons, cast(statutaire_naam as varchar) as name from register
        union all
        select owners_are_natural_persons, cast(eerste_handelsnaam as varchar) from register
        union all
        select owners_are_natural_persons, unnest(string_split(cast(handelsnamen as varchar), '|')) from register
    ),
    personal as (
        select lower(trim(name)) as name from register_names where owners_are_natural_persons
        except
        select lower(trim(name)) from register_names where not owners_are_natural_persons
    )
    select name from personal where length(name) >= 4
{%- endmacro %}
