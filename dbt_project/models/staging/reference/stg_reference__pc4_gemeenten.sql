-- CBS address counts per PC4 x gemeente. The source may hold the CSV values as text or typed
-- columns: every column is cast here.
with

source as (

    select * from {{ source('reference', 'nl_pc4_gemeente') }}

),

renamed as (

    select
        lpad(cast(pc4 as varchar), 4, '0') as pc4,
        cast(gemeente_code as varchar) as gemeente_code,
        cast(gemeente_naam as varchar) as gemeente_naam,
        cast(provincie as varchar) as provincie,
        cast(n_adressen as integer) as n_adressen,
        cast(n_adressen_pc4 as integer) as n_adressen_pc4,
        cast(aandeel as double) as address_share,
        cast(cast(is_hoofdgemeente as integer) as boolean) as is_hoofdgemeente,
        cast(n_gemeenten_in_pc4 as integer) as n_gemeenten_in_pc4

    from source

)

select * from renamed
