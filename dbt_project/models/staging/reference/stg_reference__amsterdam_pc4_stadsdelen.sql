-- CBS address counts per Amsterdam PC4 x stadsdeel (Amsterdam gebiedsindeling 2022).
with

source as (

    select * from {{ source('reference', 'amsterdam_pc4_stadsdeel') }}

),

renamed as (

    select
        lpad(cast(postcode as varchar), 4, '0') as pc4,
        cast(stadsdeel_code as varchar) as stadsdeel_code,
        cast(stadsdeel_naam as varchar) as stadsdeel_naam,
        cast(n_adressen as integer) as n_adressen,
        cast(n_adressen_pc4_totaal_nl as integer) as n_adressen_pc4,
        cast(aandeel_van_pc4 as double) as address_share,
        cast(cast(is_hoofdstadsdeel as integer) as boolean) as is_hoofdstadsdeel,
        cast(n_stadsdelen_in_pc4 as integer) as n_stadsdelen_in_pc4

    from source

)

select * from renamed
