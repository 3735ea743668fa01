-- The programme's targets and where they stand: one row per target of the register
-- (cooperatives.yaml). actual_value per target:
--   worker_cooperatives          initiatives marked worker_cooperative that are registered (KvK number)
--   large_cooperative_employees  the largest potential_employees (else FTE) of any initiative
--   koop_lokaal_findable         rows of fct_koop_lokaal_directory
--   koop_lokaal_active           of which is_active
--   investment_capacity_eur      all commitments to the investment instrument
-- progress_share = actual_value / target_value; is_met = actual_value >= target_value.
with

targets as (

    select * from {{ ref('stg_programme__targets') }}

),

pipeline as (

    select * from {{ ref('fct_cooperative_pipeline') }}

),

directory as (

    select * from {{ ref('fct_koop_lokaal_directory') }}

),

fund as (

    select * from {{ ref('stg_programme__fund_transactions') }}

),

actuals as (

    select 'worker_cooperatives' as target_key,
        cast(count(*) filter (where is_worker_cooperative and is_registered) as double) as actual_value
    from pipeline
    union all
    select 'large_cooperative_employees',
        cast(max(coalesce(potential_employees, fte)) as double)
    from pipeline
    union all
    select 'koop_lokaal_findable', cast(count(*) as double) from directory
    union all
    select 'koop_lokaal_active', cast(count(*) filter (where is_active) as double) from directory
    union all
    select 'investment_capacity_eur', cast(coalesce(sum(amount_eur) filter (where kind = 'commitment'), 0) as double)
    from fund

),

final as (

    select
        targets.target_key,
        case targets.target_key
            when 'worker_cooperatives' then 'Werknemerscoöperaties opgericht'
            when 'large_cooperative_employees' then 'Grootste coöperatie (potentiële werknemers)'
            when 'koop_lokaal_findable' then 'Koop Lokaal: vindbare lokale leveranciers'
            when 'koop_lokaal_active' then 'Koop Lokaal: actieve lokale leveranciers'
            when 'investment_capacity_eur' then 'Investeringscapaciteit (EUR toegezegd)'
        end as label_nl,
        targets.target_value,
        coalesce(actuals.actual_value, 0) as actual_value,
        coalesce(actuals.actual_value, 0) / nullif(targets.target_value, 0) as progress_share,
        coalesce(actuals.actual_value, 0) >= targets.target_value as is_met,
        targets.deadline,
        targets.note
    from targets
    left join actuals
        on targets.target_key = actuals.target_key

)

select * from final
