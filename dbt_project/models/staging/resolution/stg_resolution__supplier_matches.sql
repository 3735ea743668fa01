-- Supplier matches, typed. Renames and casts only.
with

source as (

    select * from {{ source('resolution', 'supplier_matches') }}

),

renamed as (

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

)

select * from renamed
