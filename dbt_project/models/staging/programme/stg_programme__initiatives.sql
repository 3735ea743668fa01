-- The co-operative pipeline register, one row per initiative. Phase labels follow the programme's
-- seven phases (1-2 scouting/exploration, 3 team and business plan, 4-5 start-up and financing,
-- 6 operating, 7 growth).
with

source as (

    select * from {{ source('programme', 'initiatives') }}

),

renamed as (

    select
        cast(initiative_key as varchar) as initiative_key,
        cast(name as varchar) as initiative_name,
        cast(sector as varchar) as target_sector,
        cast(phase as integer) as phase,
        case
            when phase <= 2 then 'verkenning'
            when phase = 3 then 'team en businessplan'
            when phase <= 5 then 'opstart en financiering'
            when phase = 6 then 'operationeel'
            else 'groei'
        end as phase_label_nl,
        cast(worker_cooperative as boolean) as is_worker_cooperative,
        cast(potential_employees as integer) as potential_employees,
        cast(fte as double) as fte,
        cast(fte_living_wage as double) as fte_living_wage,
        cast(revenue_eur as decimal(18, 2)) as revenue_eur,
        cast(revenue_year as integer) as revenue_year,
        nullif(trim(cast(kvk_number as varchar)), '') as kvk_number
    from source

)

select * from renamed
