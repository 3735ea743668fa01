-- Spend per anchor x year x geography tier, the contract of docs/architecture.md ("Marts").
-- One row per anchor x year x tier that has lines; credit notes are netted.
-- Disclosure control (docs/architecture.md, "Privacy"): the units of fct_local_spend_share's year grain
-- (int_disclosure_decisions, `tier|anchor|year|<year>|<tier>` and the year total `...|*`):
--   is_suppressed               = spend_eur and share withheld in publications
--   is_period_total_suppressed  = share withheld (the anchor-year total is)
--   suppression_reason          = threshold, dominance or secondary.
with

invoice_lines as (

    select * from {{ ref('int_invoice_lines_placed') }}

),

geography_tiers as (

    select * from {{ ref('geography_tiers') }}

),

decisions as (

    select * from {{ ref('int_disclosure_decisions') }}
    where family = 'tier'

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
            as share,
        {{ disclosure_is_suppressed('own') }} as is_suppressed,
        {{ disclosure_is_suppressed('year_total') }} as is_period_total_suppressed,
        {{ disclosure_reason('own') }} as suppression_reason
    from spend
    left join geography_tiers as tiers
        on spend.tier = tiers.tier
    left join decisions as own
        on own.unit_id = {{ disclosure_unit('tier', ['spend.anchor_code', "'year'", 'spend.year', 'spend.tier']) }}
    left join decisions as year_total
        on year_total.unit_id = {{ disclosure_unit('tier', ['spend.anchor_code', "'year'", 'spend.year', "'*'"]) }}

)

select * from with_shares
