-- The steering figures per anchor and year: the share of spend landing in Nieuw-West, how sure it is,
-- the change against last year and the nulmeting, and the way to the streefwaarde.
--
--   share_nieuw_west      = spend in Nieuw-West / all spend (excl. VAT, credit notes netted)
--   share_nieuw_west_low  = the same: spend whose place is unknown counted as NOT in Nieuw-West
--   share_nieuw_west_high = (spend in Nieuw-West + spend of unknown place) / all spend: unknown counted
--                           as all in Nieuw-West; the true share lies between low and high
--   change_pp_*           = difference in percentage points (share x 100)
--   trajectory_share      = the straight line from the nulmeting share (baseline_year) to the target
--                           share (target_year), read at this year
--   on_track              = share_nieuw_west >= trajectory_share (NULL before and in the nulmeting year)
-- Shares and point changes are DOUBLE rounded to 12 decimals: far below the 0.01 percentage point
-- that is reported, and it keeps 0.1 + 0.05 equal to 0.15.
with

spend as (

    select * from {{ ref('fct_spend_by_tier') }}

),

targets as (

    select * from {{ ref('streefwaarden') }}

),

per_year as (

    select
        anchor_code,
        max(anchor_name) as anchor_name,
        year,
        max(placement_basis) as placement_basis,
        cast(sum(spend_eur) as decimal(18, 2)) as spend_eur,
        cast(coalesce(sum(spend_eur) filter (where tier = 'nieuw_west'), 0) as decimal(18, 2))
            as spend_nieuw_west_eur,
        cast(coalesce(sum(spend_eur) filter (where tier = 'unknown'), 0) as decimal(18, 2))
            as spend_unknown_eur
    from spend
    group by anchor_code, year

),

shares as (

    select
        *,
        round(cast(spend_nieuw_west_eur as double) / nullif(cast(spend_eur as double), 0), 12)
            as share_nieuw_west,
        round(cast(spend_nieuw_west_eur + spend_unknown_eur as double) / nullif(cast(spend_eur as double), 0), 12)
            as share_nieuw_west_high
    from per_year

),

with_baseline as (

    select
        shares.*,
        targets.baseline_year,
        targets.target_year,
        targets.target_share_nieuw_west,
        max(case when shares.year = targets.baseline_year then shares.share_nieuw_west end)
            over (partition by shares.anchor_code) as baseline_share_nieuw_west,
        lag(shares.share_nieuw_west) over (partition by shares.anchor_code order by shares.year)
            as previous_share_nieuw_west,
        lag(shares.spend_nieuw_west_eur) over (partition by shares.anchor_code order by shares.year)
            as previous_spend_nieuw_west_eur,
        lag(shares.year) over (partition by shares.anchor_code order by shares.year) as previous_year
    from shares
    left join targets
        on shares.anchor_code = targets.anchor_code

),

with_trajectory as (

    select
        *,
        case
            when year > baseline_year then round(
                baseline_share_nieuw_west
                + (target_share_nieuw_west - baseline_share_nieuw_west)
                * (year - baseline_year) / nullif(target_year - baseline_year, 0),
                12
            )
        end as trajectory_share
    from with_baseline

),

final as (

    select
        anchor_code,
        anchor_name,
        year,
        placement_basis,
        spend_eur,
        spend_nieuw_west_eur,
        spend_unknown_eur,
        share_nieuw_west,
        share_nieuw_west as share_nieuw_west_low,
        share_nieuw_west_high,
        case when previous_year = year - 1 then round((share_nieuw_west - previous_share_nieuw_west) * 100, 12) end
            as change_pp_vs_previous_year,
        case when previous_year = year - 1 then spend_nieuw_west_eur - previous_spend_nieuw_west_eur end
            as change_eur_vs_previous_year,
        baseline_year,
        baseline_share_nieuw_west,
        round((share_nieuw_west - baseline_share_nieuw_west) * 100, 12) as change_pp_vs_baseline,
        target_year,
        target_share_nieuw_west,
        trajectory_share,
        case when year > baseline_year then share_nieuw_west >= trajectory_share end as on_track,
        '{{ var("metric_definition_version") }}' as metric_definition_version
    from with_trajectory

)

select * from final
