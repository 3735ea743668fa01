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

-- Each side summed on its own per creditor-year, then joined: the same sums as joining the lines first
-- (placed and staged lines are one to one: tested row counts and unique keys), without a join over every
-- line.
placed_sums as (

    select
        anchor_code,
        supplier_ref,
        invoice_year as year,
        count(*) as n_lines,
        cast(sum(amount_excl_vat) as decimal(18, 2)) as spend_eur,
        cast(coalesce(sum(amount_excl_vat) filter (where placement_method = 'unknown'), 0) as decimal(18, 2))
            as unknown_tier_eur,
        count(*) filter (where placement_method = 'unknown') as n_lines_unknown_tier
    from placed
    group by anchor_code, supplier_ref, year

),

line_counts as (

    select
        anchor_code,
        supplier_ref,
        cast(extract(year from invoice_date) as integer) as year,
        count(*) filter (where supplier_postcode is not null) as n_lines_with_postcode,
        count(*) filter (where kvk_number is not null) as n_lines_with_kvk_number,
        count(*) filter (where vestigingsnummer is not null) as n_lines_with_vestigingsnummer,
        count(*) filter (where vat_number is not null) as n_lines_with_vat_number,
        count(*) filter (where iban is not null) as n_lines_with_iban
    from lines
    group by anchor_code, supplier_ref, year

),

final as (

    select
        placed_sums.anchor_code,
        placed_sums.supplier_ref,
        placed_sums.year,
        placed_sums.n_lines,
        placed_sums.spend_eur,
        placed_sums.unknown_tier_eur,
        placed_sums.n_lines_unknown_tier,
        line_counts.n_lines_with_postcode,
        line_counts.n_lines_with_kvk_number,
        line_counts.n_lines_with_vestigingsnummer,
        line_counts.n_lines_with_vat_number,
        line_counts.n_lines_with_iban
    from placed_sums
    inner join line_counts
        on placed_sums.anchor_code = line_counts.anchor_code
        and placed_sums.supplier_ref is not distinct from line_counts.supplier_ref
        and placed_sums.year = line_counts.year

)

select * from final
