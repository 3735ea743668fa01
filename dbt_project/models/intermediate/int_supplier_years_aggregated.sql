-- Each creditor's lines per year: spend, what of it no rule could place, and which identifying fields
-- its lines carried. Feeds fct_unresolved_suppliers and the scorecard's unresolved top-N.
-- Grain: one row per anchor x creditor (supplier_ref) x year (of invoice_date).
--   spend_eur          = sum(amount_excl_vat), credit notes netted;
--   unknown_tier_eur   = the part of spend_eur on lines in tier `unknown` (placement_method unknown);
--   n_lines_with_<f>   = lines on which field f is present (postcode as delivered, Dutch or foreign).
-- No names and no identifier values: only whether they were there.
with

placed as (

    select * from {{ ref('int_invoice_lines_placed') }}

),

lines as (

    select * from {{ ref('stg_anchors__invoice_lines') }}

),

joined as (

    select
        placed.anchor_code,
        placed.supplier_ref,
        placed.invoice_year as year,
        placed.amount_excl_vat,
        placed.placement_method = 'unknown' as is_unknown_tier,
        lines.supplier_postcode is not null as has_postcode,
        lines.kvk_number is not null as has_kvk_number,
        lines.vestigingsnummer is not null as has_vestigingsnummer,
        lines.vat_number is not null as has_vat_number,
        lines.iban is not null as has_iban
    from placed
    inner join lines
        on placed.invoice_line_key = lines.invoice_line_key

),

final as (

    select
        anchor_code,
        supplier_ref,
        year,
        count(*) as n_lines,
        cast(sum(amount_excl_vat) as decimal(18, 2)) as spend_eur,
        cast(coalesce(sum(amount_excl_vat) filter (where is_unknown_tier), 0) as decimal(18, 2))
            as unknown_tier_eur,
        count(*) filter (where is_unknown_tier) as n_lines_unknown_tier,
        count(*) filter (where has_postcode) as n_lines_with_postcode,
        count(*) filter (where has_kvk_number) as n_lines_with_kvk_number,
        count(*) filter (where has_vestigingsnummer) as n_lines_with_vestigingsnummer,
        count(*) filter (where has_vat_number) as n_lines_with_vat_number,
        count(*) filter (where has_iban) as n_lines_with_iban
    from joined
    group by anchor_code, supplier_ref, year

)

select * from final
