-- Supplier matches, typed, one row per anchor x creditor, with the privacy class of the creditor.
-- Privacy (docs/architecture.md, "Privacy"): resolution.supplier_matches is restricted (it holds the
-- creditor names and the candidates' names for the analysts who review matches); from here on:
--   is_natural_person  the creditor is, or may be, a natural person (conservative rule):
--                        1. its name carries a natural-person marker (vof, cv, maatschap, eenmanszaak:
--                           macro has_natural_person_marker) -> true, whatever else is known;
--                        2. else, resolved (auto-accepted or overridden) to an establishment of the KvK
--                           extract -> that establishment's legal form decides (stg_kvk__establishments:
--                           natural-person or unknown legal form -> true);
--                        3. else (review, unresolved, foreign, no establishment) -> true unless the name
--                           carries a legal-entity marker (B.V., N.V., Stichting, Vereniging,
--                           Coöperatie, GmbH, Ltd, a public body: macro has_legal_entity_marker).
--   privacy_basis      which step decided: natural_person_marker, register, legal_entity_marker,
--                      no_legal_entity_marker;
--   supplier_name      the name as delivered for legal entities; for a (possible) natural person, and for
--                      a name that is also a natural person's name in the KvK extract (macro
--                      register_personal_names: a B.V. "Van Vliet Begeleiding B.V." delivered as
--                      "Van Vliet Begeleiding", which is also an eenmanszaak's trade name), the
--                      pseudonym `<label> <keyed hash>` (macro pseudonym), keyed on the KvK number of
--                      the resolved establishment (the same pseudonym as the register's names and in every
--                      anchor) or else on anchor and creditor number;
--   supplier_ref       a creditor "number" `naam:<name>` (an export without creditor numbers) becomes
--                      `naam:<keyed hash>`: it would carry the name (and so does merged_supplier_key);
--   candidates         without the candidates' names (vestigingsnummer, postcode, score, why).
-- A table, not a view: the pseudonym needs the salt of the dbt session.
{{ config(materialized='table') }}

with

source as (

    select * from {{ source('resolution', 'supplier_matches') }}

),

establishments as (

    select vestigingsnummer, kvk_number, legal_form, is_natural_person
    from {{ ref('stg_kvk__establishments') }}
    where vestigingsnummer is not null
    qualify row_number() over (
        partition by vestigingsnummer order by extract_date desc nulls last, kvk_number
    ) = 1

),

-- Names of natural persons in the KvK extract (lower case, trimmed).
register_personal_names as (

    {{ register_personal_names() }}

),

typed as (

    select
        cast(anchor_code as varchar) as anchor_code,
        cast(supplier_ref as varchar) as supplier_ref,
        cast(supplier_name as varchar) as supplier_name,
        cast(vestigingsnummer as varchar) as vestigingsnummer,
        cast(kvk_number as varchar) as kvk_number,
        cast(method as varchar) as resolution_method,
        cast(confidence as double) as confidence,
        cast(status as varchar) as resolution_status,
        cast(candidates as varchar) as candidates,
        cast(merged_supplier_key as varchar) as merged_supplier_key,
        cast(n_lines as bigint) as n_lines,
        cast(spend_eur as decimal(18, 2)) as spend_eur
    from source

),

classified as (

    select
        typed.*,
        est.vestigingsnummer as resolved_vestigingsnummer,
        est.kvk_number as resolved_kvk_number,
        est.legal_form as resolved_legal_form,
        case
            when {{ has_natural_person_marker('typed.supplier_name') }} then 'natural_person_marker'
            when est.vestigingsnummer is not null then 'register'
            when {{ has_legal_entity_marker('typed.supplier_name') }} then 'legal_entity_marker'
            else 'no_legal_entity_marker'
        end as privacy_basis,
        case
            when {{ has_natural_person_marker('typed.supplier_name') }} then true
            when est.vestigingsnummer is not null then est.is_natural_person
            else not {{ has_legal_entity_marker('typed.supplier_name') }}
        end as is_natural_person,
        personal.name is not null as is_a_personal_name
    from typed
    -- Only an auto-accepted match counts. The status is folded into the join key (NULL joins nothing):
    -- as a second condition on `typed` alone, DuckDB planned a nested-loop join (2.7 of the model's 3.2 s
    -- at 10M lines; benchmarks/, README "Scale and speed").
    left join establishments as est
        on est.vestigingsnummer
            = case when typed.resolution_status = 'auto_accepted' then typed.vestigingsnummer end
    left join register_personal_names as personal
        on lower(trim(typed.supplier_name)) = personal.name

),

with_refs as (

    select
        *,
        case
            when starts_with(supplier_ref, 'naam:')
                then 'naam:' || right({{ pseudonym("'naam'", "'naam|' || anchor_code || '|' || supplier_ref") }}, 10)
            else supplier_ref
        end as published_supplier_ref
    from classified

),

renamed as (

    select
        anchor_code,
        published_supplier_ref as supplier_ref,
        case
            when supplier_name is null then null
            when is_natural_person or is_a_personal_name then {{ pseudonym(
                "case when resolved_kvk_number is not null then " ~ pseudonym_label('resolved_legal_form')
                ~ " else 'Leverancier' end",
                "case when resolved_kvk_number is not null then 'kvk:' || resolved_kvk_number"
                ~ " else 'crediteur:' || anchor_code || '|' || supplier_ref end"
            ) }}
            else supplier_name
        end as supplier_name,
        is_natural_person,
        privacy_basis,
        vestigingsnummer,
        kvk_number,
        resolution_method,
        confidence,
        resolution_status,
        -- the candidates without their names
        cast(to_json(from_json(
            candidates,
            '[{"vestigingsnummer": "VARCHAR", "postcode": "VARCHAR", "score": "DOUBLE", "why": "VARCHAR"}]'
        )) as varchar) as candidates,
        case
            when starts_with(supplier_ref, 'naam:') and merged_supplier_key = anchor_code || ':ref:' || supplier_ref
                then anchor_code || ':ref:' || published_supplier_ref
            else merged_supplier_key
        end as merged_supplier_key,
        n_lines,
        spend_eur
    from with_refs

)

select * from renamed
