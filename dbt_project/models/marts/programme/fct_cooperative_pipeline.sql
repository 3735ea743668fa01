-- The co-operative pipeline (action line 2): one row per initiative of the register, its phase, jobs,
-- revenue and what the anchors pay it.
--   phase_started_on        = the date the current phase started (register), NULL when not given
--   share_fte_living_wage   = fte_living_wage / fte (NULL without FTE)
--   income_from_anchors_eur = all anchors' spend with its registered KvK number, all years
--                             (fct_cooperative_income); 0 when registered without income, NULL when not
--                             registered
--   income_latest_year_eur  = the same in the latest year of invoice data
-- Privacy (docs/architecture.md, "Privacy"): an initiative registered under a natural-person or unknown
-- legal form (or a KvK number not in the extract: fct_cooperative_income) is one person's income:
-- is_suppressed, and publication views withhold revenue_eur and the income columns.
with

initiatives as (

    select * from {{ ref('stg_programme__initiatives') }}

),

phases as (

    select * from {{ ref('stg_programme__initiative_phases') }}

),

income as (

    select * from {{ ref('fct_cooperative_income') }}

),

registered_forms as (

    select kvk_number, bool_or(is_natural_person) as is_natural_person
    from {{ ref('stg_kvk__establishments') }}
    group by kvk_number

),

latest as (

    select max(invoice_year) as latest_year from {{ ref('int_invoice_lines_placed') }}

),

income_per_initiative as (

    select
        income.initiative_key,
        sum(income.spend_eur) as income_eur,
        sum(income.spend_eur) filter (where income.year = latest.latest_year) as income_latest_year_eur,
        count(distinct income.anchor_code) as n_anchors_buying
    from income
    cross join latest
    group by income.initiative_key

),

final as (

    select
        initiatives.initiative_key,
        initiatives.initiative_name,
        initiatives.target_sector,
        initiatives.phase,
        initiatives.phase_label_nl,
        phases.started_on as phase_started_on,
        initiatives.kvk_number is not null as is_registered,
        initiatives.is_worker_cooperative,
        initiatives.potential_employees,
        initiatives.fte,
        initiatives.fte_living_wage,
        initiatives.fte_living_wage / nullif(initiatives.fte, 0) as share_fte_living_wage,
        initiatives.revenue_eur,
        initiatives.revenue_year,
        case when initiatives.kvk_number is not null
            then cast(coalesce(income_per_initiative.income_eur, 0) as decimal(18, 2)) end
            as income_from_anchors_eur,
        case when initiatives.kvk_number is not null
            then cast(coalesce(income_per_initiative.income_latest_year_eur, 0) as decimal(18, 2)) end
            as income_latest_year_eur,
        latest.latest_year,
        cast(coalesce(income_per_initiative.n_anchors_buying, 0) as bigint) as n_anchors_buying,
        initiatives.kvk_number is not null and coalesce(forms.is_natural_person, true) as is_suppressed
    from initiatives
    cross join latest
    left join phases
        on initiatives.initiative_key = phases.initiative_key
        and initiatives.phase = phases.phase
    left join income_per_initiative
        on initiatives.initiative_key = income_per_initiative.initiative_key
    left join registered_forms as forms
        on initiatives.kvk_number = forms.kvk_number

)

select * from final
