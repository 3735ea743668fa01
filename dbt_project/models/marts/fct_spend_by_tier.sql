-- Spend per anchor x year x geography tier, the contract of docs/architecture.md ("Marts").
-- One row per anchor x year x tier that has lines; credit notes are netted.
with

invoice_lines as (

    select * from {{ ref('int_invoice_lines_placed') }}

),

geography_tiers as (

    select * from {{ ref('geography_tiers') }}

),

spend as (

    select
        anchor_code,
        max(anchor_name) as anchor_name,
        invoice_year as year,
        tier,
        cast(sum(amount_excl_vat) as decimal(18, 2)) as spend_eur,
        count(*) as n_lines,
        max(placement_basis) as placement_basis
    from invoice_lines
    group by anchor_code, invoice_year, tier

),

with_shares as (

    select
        spend.anchor_code,
        spend.anchor_name,
        spend.year,
        spend.tier,
        tiers.tier_label_nl,
        tiers.tier_order,
        spend.spend_eur,
        spend.n_lines,
        spend.placement_basis,
        -- NULL when the anchor-year nets to zero: no share can be computed.
        cast(spend.spend_eur as double)
        / nullif(cast(sum(spend.spend_eur) over (partition by spend.anchor_code, spend.year) as double), 0)
            as share
    from spend
    left join geography_tiers as tiers
        on spend.tier = tiers.tier

)

select * from with_shares
