-- How each anchor's VAT amounts were obtained (data completeness scorecard, actielijn 1b.2).
-- Grain: one row per anchor x year (of invoice_date) x vat_basis that has lines.
-- A line's vat_basis, from raw.invoice_lines.vat_basis (written by the ingestion per line):
--   from_source_column  the VAT amount is the export's own VAT-amount column (`column`);
--   derived_from_rate   the ingestion computed it from the export's VAT rate (`rate`);
--   unknown             no VAT amount (no VAT information in the export, or an empty cell).
-- volume_eur   = sum(abs(amount_excl_vat)): a credit note is as much data as an invoice;
-- vat_eur      = sum(vat_amount), NULL for unknown;
-- share_lines  = n_lines / the anchor-year's lines;
-- share_volume = volume_eur / the anchor-year's volume_eur (NULL when that is zero).
with

lines as (

    select * from {{ ref('stg_anchors__invoice_lines') }}

),

classified as (

    select
        lines.anchor_code,
        cast(extract(year from lines.invoice_date) as integer) as year,
        lines.amount_excl_vat,
        lines.vat_amount,
        case
            when lines.vat_amount is null then 'unknown'
            when lines.vat_basis = 'column' then 'from_source_column'
            when lines.vat_basis = 'rate' then 'derived_from_rate'
            else 'unknown'
        end as vat_basis
    from lines

),

per_basis as (

    select
        anchor_code,
        year,
        vat_basis,
        count(*) as n_lines,
        cast(sum(abs(amount_excl_vat)) as decimal(18, 2)) as volume_eur,
        cast(sum(vat_amount) as decimal(18, 2)) as vat_eur
    from classified
    group by anchor_code, year, vat_basis

),

final as (

    select
        anchor_code,
        year,
        vat_basis,
        n_lines,
        volume_eur,
        vat_eur,
        cast(n_lines as double) / sum(n_lines) over (partition by anchor_code, year) as share_lines,
        cast(volume_eur as double)
        / nullif(cast(sum(volume_eur) over (partition by anchor_code, year) as double), 0) as share_volume
    from per_basis

)

select * from final
