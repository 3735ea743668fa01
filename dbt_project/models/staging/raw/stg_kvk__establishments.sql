-- KvK Handelsregister extract, one row per vestiging (establishment), with English column names.
-- `vestigingsnummer` keeps its Dutch name: it is the domain term and the invoice lines use it too.
with

source as (

    select * from {{ source('raw', 'kvk_establishments') }}

),

renamed as (

    select
        cast(vestigingsnummer as varchar) as vestigingsnummer,
        cast(kvk_nummer as varchar) as kvk_number,
        cast(rsin as varchar) as rsin,
        cast(statutaire_naam as varchar) as legal_name,
        cast(eerste_handelsnaam as varchar) as trade_name,
        cast(handelsnamen as varchar) as trade_names,
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

    from source

)

select * from renamed
