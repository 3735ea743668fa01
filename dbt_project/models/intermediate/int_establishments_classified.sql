-- One row per KvK establishment (vestiging; the latest extract wins) with what the recipient marts
-- need to know of it:
--   legal_form_group, is_natural_person  from the `legal_form_groups` seed (label matched
--                                        case-insensitively; a label not in the seed is `unknown`
--                                        and, to be safe, treated as a natural person);
--   main activity                        its `main` row of int_establishment_activities (SBI 2025
--                                        section and division, target sector);
--   organisation_n_employees             sum of n_employees over all establishments of its KvK
--                                        number; size_class = the `size_classes` row with
--                                        min_employees <= greatest(that sum, 0) <= max_employees;
--   is_social_enterprise                 its KvK number is in the `social_enterprises` seed;
--   establishment_name, organisation_name  eerste handelsnaam, and the statutaire naam of the
--                                        organisation's head office; NULL whenever the owners may be
--                                        natural persons (privacy rule, AVG/GDPR).
with

establishments_source as (

    select * from {{ ref('stg_kvk__establishments') }}

),

activities as (

    select * from {{ ref('int_establishment_activities') }}

),

pc4s as (

    select * from {{ ref('int_pc4s_tiered') }}

),

legal_form_groups as (

    select * from {{ ref('legal_form_groups') }}

),

size_classes as (

    select * from {{ ref('size_classes') }}

),

social_enterprises as (

    select * from {{ ref('social_enterprises') }}

),

establishments as (

    select *
    from establishments_source
    {{ latest_extract_per_establishment() }}

),

with_legal_form as (

    select
        -- the same rule as stg_kvk__establishments.is_natural_person, recomputed with the group
        est.* exclude (is_natural_person),
        coalesce(groups.legal_form_group, 'unknown') as legal_form_group,
        coalesce(groups.is_natural_person, true) as is_natural_person
    from establishments as est
    left join legal_form_groups as groups
        on lower(trim(est.legal_form)) = lower(trim(groups.legal_form))

),

organisations as (

    select
        kvk_number,
        cast(sum(n_employees) as bigint) as organisation_n_employees,  -- sum() would give HUGEINT: slower to write
        count(*) as n_establishments,
        -- the head office's statutaire naam; an organisation without one in the extract: any of them
        coalesce(
            min(legal_name) filter (where is_head_office),
            min(legal_name)
        ) as legal_name
    from establishments
    group by kvk_number

),

final as (

    select
        est.vestigingsnummer,
        est.kvk_number,
        est.is_head_office,
        est.legal_form,
        est.legal_form_group,
        est.is_natural_person,
        case when not est.is_natural_person then est.trade_name end as establishment_name,
        case when not est.is_natural_person then orgs.legal_name end as organisation_name,
        est.pc4,
        pc4s.tier,
        est.sbi_version,
        est.sbi_main_activity_code,
        main.sbi_section_code,
        main.sbi_section_name,
        main.sbi_division_code,
        main.sbi_division_name,
        main.sbi_correspondence,
        coalesce(main.target_sector, 'unknown') as target_sector,
        est.n_employees,
        orgs.organisation_n_employees,
        orgs.n_establishments as organisation_n_establishments,
        coalesce(sizes.size_class, 'unknown') as size_class,
        social.kvk_number is not null as is_social_enterprise
    from with_legal_form as est
    left join pc4s
        on est.pc4 = pc4s.pc4
    left join activities as main
        on est.vestigingsnummer = main.vestigingsnummer
        and main.activity_role = 'main'
    left join organisations as orgs
        on est.kvk_number = orgs.kvk_number
    left join size_classes as sizes
        on greatest(orgs.organisation_n_employees, 0) >= sizes.min_employees
        and (sizes.max_employees is null or greatest(orgs.organisation_n_employees, 0) <= sizes.max_employees)
    left join social_enterprises as social
        on est.kvk_number = social.kvk_number

)

select * from final
