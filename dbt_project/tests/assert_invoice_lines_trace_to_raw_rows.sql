-- Every line of the line-level fact is one accepted row of a loaded delivery, with the same euros:
-- (anchor_code, source_file, source_row) finds it in raw.invoice_lines, and (anchor_code, source_file)
-- in raw.deliveries with status `loaded`. Together with the marts' reconciliation tests this makes every
-- mart figure traceable to source rows whose amounts add up to it (docs/lineage.md). Returns the lines
-- that do not trace.
with

lines as (

    select anchor_code, source_file, source_row, amount_excl_vat
    from {{ ref('fct_invoice_lines') }}

),

raw_lines as (

    select anchor_code, source_file, source_row, amount_excl_vat
    from {{ source('raw', 'invoice_lines') }}

),

deliveries as (

    select anchor_code, source_file, status
    from {{ source('raw', 'deliveries') }}

)

select
    lines.anchor_code,
    lines.source_file,
    lines.source_row,
    lines.amount_excl_vat,
    raw_lines.amount_excl_vat as raw_amount_excl_vat,
    deliveries.status as delivery_status
from lines
left join raw_lines
    on lines.anchor_code = raw_lines.anchor_code
    and lines.source_file = raw_lines.source_file
    and lines.source_row = raw_lines.source_row
left join deliveries
    on lines.anchor_code = deliveries.anchor_code
    and lines.source_file = deliveries.source_file
where
    raw_lines.source_row is null
    or raw_lines.amount_excl_vat <> lines.amount_excl_vat
    or deliveries.status is distinct from 'loaded'
