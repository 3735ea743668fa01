-- How each anchor's spend was placed in a geography tier: by which identifier or rule
-- (int_invoice_lines_placed, docs/architecture.md "How a line is placed").
-- Grain: one row per anchor x year x placement_method that has lines.
-- method_group folds the placement methods into what the scorecard shows:
--   vestigingsnummer     the line's own vestigingsnummer found in the KvK extract;
--   kvk_number           the line's own KvK number (establishment at the invoice postcode or head office);
--   supplier_resolution  the creditor's establishment from supplier resolution (resolved_<method>);
--   invoice_postcode     no establishment: the invoice's own Dutch postcode;
--   abroad               no establishment: supplier country not NL;
--   unknown              nothing placed the line.
-- spend_eur    = sum(amount_excl_vat), credit notes netted (as fct_spend_by_tier, fct_resolution_coverage);
-- volume_eur   = sum(abs(amount_excl_vat));
-- share_spend  = spend_eur / the anchor-year's spend_eur (NULL when that nets to zero);
-- share_volume = volume_eur / the anchor-year's volume_eur.
with

lines as (

    select * from {{ ref('int_invoice_lines_placed') }}

),

grouped as (

    select
        anchor_code,
        invoice_year as year,
        placement_method,
        case
            when placement_method = 'vestigingsnummer' then 'vestigingsnummer'
            when placement_method in ('kvk_number_at_invoice_postcode', 'kvk_number_head_office')
                then 'kvk_number'
            when placement_method like 'resolved\_%' escape '\' then 'supplier_resolution'
            when placement_method = 'invoice_postcode' then 'invoice_postcode'
            when placement_method = 'abroad' then 'abroad'
            else 'unknown'
        end as method_group,
        count(*) as n_lines,
        cast(sum(amount_excl_vat) as decimal(18, 2)) as spend_eur,
        cast(sum(abs(amount_excl_vat)) as decimal(18, 2)) as volume_eur
    from lines
    group by anchor_code, invoice_year, placement_method

),

final as (

    select
        anchor_code,
        year,
        placement_method,
        method_group,
        n_lines,
        spend_eur,
        volume_eur,
        cast(spend_eur as double)
        / nullif(cast(sum(spend_eur) over (partition by anchor_code, year) as double), 0) as share_spend,
        cast(volume_eur as double)
        / nullif(cast(sum(volume_eur) over (partition by anchor_code, year) as double), 0) as share_volume
    from grouped

)

select * from final
