-- Invoice lines of all anchors, typed per the raw.invoice_lines contract.
-- Privacy (docs/architecture.md, "Privacy"): the free-text `description` and the `supplier_name` are
-- deliberately not selected. Free text never leaves raw; a supplier name may be a sole trader's name, and
-- the creditor's name goes on (pseudonymised where needed) only through stg_resolution__supplier_matches.
with

source as (

    select * from {{ source('raw', 'invoice_lines') }}

),

renamed as (

    select
        {{ surrogate_key(['anchor_code', 'invoice_id', 'invoice_line']) }} as invoice_line_key,

        cast(anchor_code as varchar) as anchor_code,
        cast(anchor_name as varchar) as anchor_name,
        cast(source_file as varchar) as source_file,
        cast(source_row as integer) as source_row,

        cast(invoice_id as varchar) as invoice_id,
        cast(invoice_line as integer) as invoice_line,
        cast(invoice_date as date) as invoice_date,
        cast(booking_period as varchar) as booking_period,

        cast(supplier_ref as varchar) as supplier_ref,
        cast(kvk_number as varchar) as kvk_number,
        cast(vestigingsnummer as varchar) as vestigingsnummer,
        cast(vat_number as varchar) as vat_number,
        cast(iban as varchar) as iban,
        cast(supplier_street as varchar) as supplier_street,
        cast(supplier_house_number as varchar) as supplier_house_number,
        cast(supplier_postcode as varchar) as supplier_postcode,
        {{ dutch_pc4('supplier_postcode') }} as supplier_pc4,
        cast(supplier_city as varchar) as supplier_city,
        cast(coalesce(supplier_country, 'NL') as varchar) as supplier_country,

        cast(amount_excl_vat as decimal(18, 2)) as amount_excl_vat,
        cast(vat_amount as decimal(18, 2)) as vat_amount,
        -- 'column' (the export's VAT amount), 'rate' (computed from its VAT rate), NULL (no VAT amount)
        cast(vat_basis as varchar) as vat_basis,
        cast(currency as varchar) as currency,
        cast(ledger_account as varchar) as ledger_account,
        cast(cost_centre as varchar) as cost_centre,
        cast(category as varchar) as category,
        cast(cpv_code as varchar) as cpv_code

    from source

)

select * from renamed
