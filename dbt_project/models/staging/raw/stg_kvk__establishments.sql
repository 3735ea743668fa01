-- KvK Handelsregister extract, one row per vestiging (establishment), with English column names.
-- `vestigingsnummer` keeps its Dutch name: it is the domain term and the invoice lines use it too.
-- Privacy (docs/architecture.md, "Privacy"): the names of natural persons never leave the raw layer.
-- When the legal form is a natural-person form of seed legal_form_groups (eenmanszaak, VOF, maatschap,
-- CV, rederij) or not in the seed at all (unknown: treated as a natural person), legal_name, trade_name
-- and trade_names are all the one pseudonym of the organisation, `<label> <keyed hash of kvk:<KvK
-- number>>` (macro pseudonym), the same pseudonym its creditors get in stg_resolution__supplier_matches.
-- The legal-form lookup is the one join in staging: the name must be replaced in the first model over
-- the source. A table, not a view: the pseudonym needs the salt of the dbt session (macro pseudonym).
{{ config(materialized='table') }}

with

source as (

    select * from {{ source('raw', 'kvk_establishments') }}

),

legal_form_groups as (

    select * from {{ ref('legal_form_groups') }}

),

classified as (

    select
        source.*,
        coalesce(groups.is_natural_person, true) as owners_are_natural_persons
    from source
    left join legal_form_groups as groups
        on lower(trim(cast(source.rechtsvorm as varchar))) = lower(trim(groups.legal_form))

),

renamed as (

    select
        cast(vestigingsnummer as varchar) as vestigingsnummer,
        cast(kvk_nummer as varchar) as kvk_number,
        cast(rsin as varchar) as rsin,
        case
            when owners_are_natural_persons and statutaire_naam is not null
                then {{ pseudonym(pseudonym_label('rechtsvorm'), "'kvk:' || cast(kvk_nummer as varchar)") }}
            else cast(statutaire_naam as varchar)
        end as legal_name,
        case
            when owners_are_natural_persons and eerste_handelsnaam is not null
                then {{ pseudonym(pseudonym_label('rechtsvorm'), "'kvk:' || cast(kvk_nummer as varchar)") }}
            else cast(eerste_handelsnaam as varchar)
        end as trade_name,
        case
            when owners_are_natural_persons and handelsnamen is not null
                then {{ pseudonym(pseudonym_label('rechtsvorm'), "'kvk:' || cast(kvk_nummer as varchar)") }}
            else cast(handelsnamen as varchar)
        end as trade_names,
        owners_are_natural_persons as is_natural_person,
        coalesce(cast(ind_hoofdvestiging as varchar) = 'Ja', false) as is_head_office,
        cast(rechtsvorm as varchar) as legal_form,

        cast(straatnaam as varchar) as street,
        cast(huisnummer as integer) as house_number,
        cast(huisletter as varchar) as house_letter,
        cast(huisnummertoevoeging as varchar) as house_number_addition,
        nullif(upper(replace(cast(postcode as varchar), ' ', '')), '') as postcode,
        {{ dutch_pc4('postcode') }} as pc4,
        cast(plaats as varchar) as city,
        cast(land as varchar) as country_name,
        coalesce(cast(ind_afgeschermd as varchar) = 'Ja', false) as is_address_shielded,

        cast(sbi_hoofdactiviteit as varchar) as sbi_main_activity_code,
        cast(sbi_nevenactiviteiten as varchar) as sbi_side_activity_codes,
        case
            when cast(peildatum as date) < date '{{ var("sbi2025_switch_date") }}' then '2008'
            when cast(peildatum as date) >= date '{{ var("sbi2025_switch_date") }}' then '2025'
        end as sbi_version,

        cast(totaal_werkzame_personen as integer) as n_employees,
        cast(registratie_datum_aanvang as date) as registration_start_date,
        cast(peildatum as date) as extract_date

    from classified

)

select * from renamed
