-- The steering figures per anchor, year and spend scope: the share of spend landing in Nieuw-West, how
-- sure it is, the change against last year and the nulmeting, and the way to the streefwaarde.
-- One row per anchor x year x spend_scope ('total': all spend; 'influenceable': without what the
-- anchor cannot redirect, per seed influenceable_rules). Baseline and target come per anchor and scope
-- from seed streefwaarden.
--
--   share_nieuw_west      = spend in Nieuw-West / all spend in scope (excl. VAT, credit notes netted)
--   share_if_unknown_local = (spend in Nieuw-West + spend of unknown place) / all spend: unknown
--                           counted as all in Nieuw-West
--   share_nieuw_west_low, share_nieuw_west_high = the lower and the higher of share_nieuw_west and
--                           share_if_unknown_local: the true share lies between them (normally low =
--                           share; the other way round only when unknown spend nets negative)
--   change_pp_*           = difference in percentage points (share x 100)
--   trajectory_share      = the straight line from the nulmeting share (baseline_year) to the target
--                           share (target_year), read at this year
--   on_track              = share_nieuw_west >= trajectory_share (NULL before and in the nulmeting year)
-- Shares and point changes are DOUBLE rounded to 12 decimals: far below the 0.01 percentage point
-- that is reported, and it keeps 0.1 + 0.05 equal to 0.15.
-- Disclosure control (docs/architecture.md, "Privacy"): the figures stay exact; publication views
-- withhold them by the suppression flags of fct_local_spend_share's year rows:
--   is_suppressed                = the Nieuw-West tier or the year total is withheld: spend_nieuw_west_eur,
--                                  the shares and range, the changes and on_track
--   is_total_suppressed          = the year total is withheld: spend_eur
--   is_range_suppressed          = the unknown tier (or the share itself) is withheld: spend_unknown_eur and
--                                  the range
--   is_previous_year_suppressed  = last year's share is withheld: the changes against last year
--   is_baseline_suppressed       = the nulmeting year's share is withheld: baseline_share_nieuw_west,
--                                  change_pp_vs_baseline, trajectory_share and on_track (the trajectory
--                                  starts at the nulmeting share)
--   suppression_reason           = of the Nieuw-West tier; `secondary` when only the total is withheld.
with

spend as (

    select * from {{ ref('fct_local_spend_share') }}
    where period_grain = 'year'

),

targets as (

    select * from {{ ref('streefwaarden') }}

),

per_year as (

    select
        anchor_code,
        max(anchor_name) as anchor_name,
        year,
        spend_scope,
        max(placement_basis) as placement_basis,
        cast(sum(spend_eur) as decimal(18, 2)) as spend_eur,
        cast(coalesce(sum(spend_eur) filter (where tier = 'nieuw_west'), 0) as decimal(18, 2))
            as spend_nieuw_west_eur,
        cast(coalesce(sum(spend_eur) filter (where tier = 'unknown'), 0) as decimal(18, 2))
            as spend_unknown_eur,
        coalesce(bool_or(is_suppressed) filter (where tier = 'nieuw_west'), false)
        or coalesce(bool_or(is_period_total_suppressed), false) as is_suppressed,
        coalesce(bool_or(is_period_total_suppressed), false) as is_total_suppressed,
        coalesce(bool_or(is_share_range_suppressed) filter (where tier = 'nieuw_west'), false)
        or coalesce(bool_or(is_suppressed) filter (where tier = 'unknown'), false) as is_range_suppressed,
        coalesce(
            max(suppression_reason) filter (where tier = 'nieuw_west'),
            case when bool_or(is_period_total_suppressed) then 'secondary' end
        ) as suppression_reason
    from spend
    group by anchor_code, year, spend_scope

),

shares as (

    select
        *,
        round(cast(spend_nieuw_west_eur as double) / nullif(cast(spend_eur as double), 0), 12)
            as share_nieuw_west,
        round(cast(spend_nieuw_west_eur + spend_unknown_eur as double) / nullif(cast(spend_eur as double), 0), 12)
            as share_if_unknown_local
    from per_year

),

with_baseline as (

    select
        shares.*,
        targets.baseline_year,
        targets.target_year,
        targets.target_share_nieuw_west,
        max(case when shares.year = targets.baseline_year then shares.share_nieuw_west end)
            over by_scope as baseline_share_nieuw_west,
        lag(shares.share_nieuw_west) over by_scope_in_time
            as previous_share_nieuw_west,
        lag(shares.spend_nieuw_west_eur) over by_scope_in_time
            as previous_spend_nieuw_west_eur,
        lag(shares.year) over by_scope_in_time as previous_year,
        lag(shares.is_suppressed) over by_scope_in_time as previous_is_suppressed,
        coalesce(bool_or(shares.is_suppressed) filter (where shares.year = targets.baseline_year) over by_scope, false)
            as baseline_is_suppressed
    from shares
    left join targets
        on shares.anchor_code = targets.anchor_code
        and shares.spend_scope = targets.spend_scope
    window
        by_scope as (partition by shares.anchor_code, shares.spend_scope),
        by_scope_in_time as (partition by shares.anchor_code, shares.spend_scope order by shares.year)

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
        spend_scope,
        placement_basis,
        spend_eur,
        spend_nieuw_west_eur,
        spend_unknown_eur,
        share_nieuw_west,
        least(share_nieuw_west, share_if_unknown_local) as share_nieuw_west_low,
        greatest(share_nieuw_west, share_if_unknown_local) as share_nieuw_west_high,
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
        '{{ var("metric_definition_version") }}' as metric_definition_version,
        is_suppressed,
        is_total_suppressed,
        is_range_suppressed or is_suppressed as is_range_suppressed,
        coalesce(previous_is_suppressed and previous_year = year - 1, false) as is_previous_year_suppressed,
        baseline_is_suppressed as is_baseline_suppressed,
        suppression_reason
    from with_trajectory

)

select * from final
