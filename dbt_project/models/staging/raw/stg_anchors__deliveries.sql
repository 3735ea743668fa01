-- The delivery log, one row per delivered file, typed per the raw.deliveries contract.
with

source as (

    select * from {{ source('raw', 'deliveries') }}

),

renamed as (

    select
        cast(anchor_code as varchar) as anchor_code,
        cast(source_file as varchar) as source_file,
        cast(sha256 as varchar) as sha256,
        cast(size_bytes as bigint) as size_bytes,
        cast(modified_at as timestamp) as modified_at,
        cast(declared_period as varchar) as declared_period,

        cast(status as varchar) as status,
        cast(duplicate_of as varchar) as duplicate_of,
        cast(superseded_by as varchar) as superseded_by,
        cast(reason as varchar) as reason,

        cast(rows_read as bigint) as rows_read,
        cast(rows_loaded as bigint) as rows_loaded,
        cast(rows_rejected as bigint) as rows_rejected,
        cast(rows_superseded as bigint) as rows_superseded,
        cast(euros_read as decimal(18, 2)) as euros_read,
        cast(euros_loaded as decimal(18, 2)) as euros_loaded,
        cast(euros_rejected as decimal(18, 2)) as euros_rejected,
        cast(euros_superseded as decimal(18, 2)) as euros_superseded,

        cast(processed_at as timestamp) as processed_at

    from source

)

select * from renamed
