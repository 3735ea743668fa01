-- Local-spend shares per anchor x period x spend scope x geography tier: the CLES/NEF headline
-- figure at year, quarter and month grain, on all spend and on influenceable spend.
--
-- Grain: one row per anchor x period_grain ('year' | 'quarter' | 'month') x period x spend_scope
-- ('total' | 'influenceable') x tier (all six tiers, also those without spend: a dense table whose
-- shares add up to 1 per anchor, period and scope). The period is the calendar period of the invoice
-- date. Amounts are excluding VAT with credit notes netted.
--
--   spend_eur         = sum(amount_excl_vat) of the lines in the tier (and in scope)
--   period_spend_eur  = the same over all tiers
--   share             = spend_eur / period_spend_eur (NULL when the period nets to zero or less)
--   share_if_unknown_in_tier = (spend_eur + unknown spend) / period_spend_eur: spend of unknown place
--                       counted as all in this tier (for tier `unknown` itself: share)
--   share_low, share_high = the lower and the higher of share and share_if_unknown_in_tier: the true
--                       share lies between them. Normally share_low = share; only when the unknown
--                       spend nets to a negative amount (credit notes) is it the other way round.
--   influenceable     = the lines no rule of seed influenceable_rules excludes (int_invoice_lines_placed)
-- Shares are DOUBLE rounded to 12 decimals.
-- Disclosure control (docs/architecture.md, "Privacy"; int_disclosure_decisions, units
-- `tier|anchor|grain|period|tier` and the period total `...|*`, both spend scopes together): the figures
-- stay exact here; publication views NULL them:
--   is_suppressed               = spend_eur and the shares of this tier and period are withheld
--   is_period_total_suppressed  = period_spend_eur and every share of the period are withheld
--   is_share_range_suppressed   = share_low and share_high are withheld (they contain the unknown tier)
--   suppression_reason          = threshold, dominance or secondary (of this tier's unit).
with

lines as (

    select * from {{ ref('int_invoice_lines_placed') }}

),

geography_tiers as (

    select * from {{ ref('geography_tiers') }}

),

decisions as (

    select * from {{ ref('int_disclosure_decisions') }}
    where family = 'tier'

),

scopes as (

    select 'total' as spend_scope
    union all
    select 'influenceable'

),

grains as (

    select 'year' as period_grain
    union all
    select 'quarter'
    union all
    select 'month'

),

-- The lines summed per anchor x month x tier x influenceable first (a few thousand rows at 10 million
-- lines), then each month once per scope it belongs to and per grain: a sum of sums is the same sum.
monthly as (

    select
        anchor_code,
        max(anchor_name) as anchor_name,
        max(placement_basis) as placement_basis,
        date_trunc('month', invoice_date) as month_start,
        tier,
        is_influenceable,
        sum(amount_excl_vat) as amount_excl_vat,
        count(*) as n_lines
    from lines
    group by anchor_code, month_start, tier, is_influenceable

),

months_in_periods as (

    select
        monthly.anchor_code,
        scopes.spend_scope,
        grains.period_grain,
        case grains.period_grain
            when 'year' then date_trunc('year', monthly.month_start)
            when 'quarter' then date_trunc('quarter', monthly.month_start)
            else monthly.month_start
        end as period_start,
        monthly.tier,
        monthly.amount_excl_vat,
        monthly.n_lines
    from monthly
    cross join scopes
    cross join grains
    where scopes.spend_scope = 'total' or monthly.is_influenceable

),

spend as (

    select
        anchor_code,
        spend_scope,
        period_grain,
        cast(period_start as date) as period_start,
        tier,
        cast(sum(amount_excl_vat) as decimal(18, 2)) as spend_eur,
        cast(sum(n_lines) as bigint) as n_lines
    from months_in_periods
    group by all

),

anchors as (

    select anchor_code, max(anchor_name) as anchor_name, max(placement_basis) as placement_basis
    from monthly
    group by anchor_code

),

-- Every period an anchor has lines in (in any scope), crossed with scopes and all tiers.
grid as (

    select distinct
        periods.anchor_code,
        scopes.spend_scope,
        periods.period_grain,
        periods.period_start,
        tiers.tier,
        tiers.tier_label_nl,
        tiers.tier_order
    from (select distinct anchor_code, period_grain, period_start from spend) as periods
    cross join scopes
    cross join geography_tiers as tiers

),

dense as (

    select
        grid.*,
        coalesce(spend.spend_eur, 0) as spend_eur,
        coalesce(spend.n_lines, 0) as n_lines
    from grid
    left join spend
        on grid.anchor_code = spend.anchor_code
        and grid.spend_scope = spend.spend_scope
        and grid.period_grain = spend.period_grain
        and grid.period_start = spend.period_start
        and grid.tier = spend.tier

),

with_totals as (

    select
        *,
        sum(spend_eur) over period_window as period_spend_eur,
        sum(spend_eur) filter (where tier = 'unknown') over period_window as period_unknown_eur
    from dense
    window period_window as (partition by anchor_code, spend_scope, period_grain, period_start)

),

labelled as (

    select
        with_totals.anchor_code,
        anchors.anchor_name,
        with_totals.spend_scope,
        with_totals.period_grain,
        {{ period_label('with_totals.period_grain', 'with_totals.period_start') }} as period,
        with_totals.period_start,
        cast(year(with_totals.period_start) as integer) as year,
        case when with_totals.period_grain in ('quarter', 'month')
            then cast(quarter(with_totals.period_start) as integer) end as quarter,
        case when with_totals.period_grain = 'month'
            then cast(month(with_totals.period_start) as integer) end as month,
        with_totals.tier,
        with_totals.tier_label_nl,
        with_totals.tier_order,
        cast(with_totals.spend_eur as decimal(18, 2)) as spend_eur,
        cast(with_totals.n_lines as bigint) as n_lines,
        cast(with_totals.period_spend_eur as decimal(18, 2)) as period_spend_eur,
        round(shares.share, 12) as share,
        round(least(shares.share, shares.share_if_unknown_in_tier), 12) as share_low,
        round(greatest(shares.share, shares.share_if_unknown_in_tier), 12) as share_high,
        anchors.placement_basis,
        '{{ var("metric_definition_version") }}' as metric_definition_version
    from with_totals
    inner join anchors
        on with_totals.anchor_code = anchors.anchor_code
    cross join lateral (
        select
            cast(with_totals.spend_eur as double)
            / nullif(greatest(cast(with_totals.period_spend_eur as double), 0), 0) as share,
            cast(
                with_totals.spend_eur
                + case when with_totals.tier = 'unknown' then 0 else with_totals.period_unknown_eur end
                as double
            ) / nullif(greatest(cast(with_totals.period_spend_eur as double), 0), 0) as share_if_unknown_in_tier
    ) as shares

),

final as (

    select
        labelled.*,
        {{ disclosure_is_suppressed('own') }} as is_suppressed,
        {{ disclosure_is_suppressed('period_total') }} as is_period_total_suppressed,
        {{ disclosure_is_suppressed('own') }} or {{ disclosure_is_suppressed('period_total') }}
        or {{ disclosure_is_suppressed('unknown_tier') }} as is_share_range_suppressed,
        {{ disclosure_reason('own') }} as suppression_reason
    from labelled
    left join decisions as own
        on own.unit_id = {{ disclosure_unit('tier', ['labelled.anchor_code', 'labelled.period_grain',
                                                     'labelled.period', 'labelled.tier']) }}
    left join decisions as period_total
        on period_total.unit_id = {{ disclosure_unit('tier', ['labelled.anchor_code', 'labelled.period_grain',
                                                              'labelled.period', "'*'"]) }}
    left join decisions as unknown_tier
        on unknown_tier.unit_id = {{ disclosure_unit('tier', ['labelled.anchor_code', 'labelled.period_grain',
                                                              'labelled.period', "'unknown'"]) }}

)

select * from final
