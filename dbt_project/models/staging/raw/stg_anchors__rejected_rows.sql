-- Quarantined source rows of all anchors, typed per the raw.rejected_rows contract.
-- `value` is the offending cell as delivered. It is kept only for fields that cannot hold personal
-- data or free text (an allow-list): a supplier name, IBAN or VAT number can identify a sole trader,
-- and free text never leaves the raw layer.
with

source as (

    select * from {{ source('raw', 'rejected_rows') }}

),

renamed as (

    select
        cast(anchor_code as varchar) as anchor_code,
        cast(source_file as varchar) as source_file,
        cast(source_row as integer) as source_row,
        cast(field as varchar) as field,
        cast("column" as varchar) as source_column,
        case
            when cast(field as varchar) in (
                'invoice_id', 'invoice_line', 'invoice_date', 'booking_period', 'amount', 'vat_amount',
                'vat_rate', 'currency', 'supplier_ref', 'kvk_number', 'vestigingsnummer', 'supplier_postcode',
                'supplier_country', 'cpv_code'
            ) then cast(value as varchar)
        end as value,
        cast(reason_code as varchar) as reason_code,
        cast(reason as varchar) as reason,
        cast(amount_eur as decimal(18, 2)) as amount_eur

    from source

)

select * from renamed
