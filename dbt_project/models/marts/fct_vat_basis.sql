-- How each anchor's VAT amounts were obtained (data completeness scorecard, actielijn 1b.2).
-- Grain: one row per anchor x year (of invoice_date) x vat_basis that has lines.
-- A line's vat_basis, from its VAT amount and the anchor's `vat` configuration (seed anchor_vat_basis,
-- a mirror of ingestion/anchors/<anchor_code>.yaml; raw.invoice_lines itself does not say):
--   from_source_column  VAT amount present, the export has a VAT-amount column (`vat: column`);
--   derived_from_rate   VAT amount present, computed by the ingestion from the export's rate (`vat: rate`);
--   unknown             no VAT amount (`vat: none`, or an empty cell in a VAT column);
--   not_configured      VAT amount present but the anchor has no row in the seed (add it).
-- volume_eur   = sum(abs(amount_excl_vat)): a credit note is as much data as an invoice;
-- vat_eur      = sum(vat_amount), NULL for unknown;
-- share_lines  = n_lines / the anchor-year's lines;
-- share_volume = volume_eur / the anchor-year's volume_eur (NULL when that is zero).
with

lines as (

    select * from {{ ref('stg_anchors__invoice_lines') }}

),

anchor_vat as (

    select * from {{ ref('anchor_vat_basis') }}

),

classified as (

    select
        lines.anchor_code,
        cast(extract(year from lines.invoice_date) as integer) as year,
        lines.amount_excl_vat,
        lines.vat_amount,
        case
            when lines.vat_amount is null then 'unknown'
            when anchor_vat.vat = 'column' then 'from_source_column'
            when anchor_vat.vat = 'rate' then 'derived_from_rate'
            else 'not_configured'
        end as vat_basis
    from lines
    left join anchor_vat
        on lines.anchor_code = anchor_vat.anchor_code

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
