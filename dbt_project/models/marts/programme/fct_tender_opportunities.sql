-- Tender calendar matching (action 1a.2): per upcoming tender, the programme's co-operative initiatives
-- and the Nieuw-West establishments that could take it on, ranked. One row per tender x candidate, the
-- best `tender_candidates_per_tender` (dbt var, default 25) per tender.
--
-- How a tender is matched (documented in _marts__programme.yml):
--   target sector   the tender's CPV code (8 digits, without check digit) -> the longest CPV prefix in
--                   seed target_sector_codes (code_system cpv); NULL when none
--   activities      the tender's CPV -> the SBI 2025 prefixes of seed cpv_sbi_activities at the longest
--                   cpv_prefix that the CPV starts with
--   candidates      (a) initiatives of the co-operative register in the tender's target sector
--                   (registered or not); (b) establishments whose own address is in Nieuw-West and
--                   whose main or a side activity (SBI 2025 code; SBI 2008 registrations by their SBI
--                   2025 division) starts with one of those SBI prefixes. An establishment of an
--                   initiative's KvK number is listed as the initiative.
--   rank            match_rank 1 an initiative of the register, 2 a co-operative establishment, 3 an
--                   establishment with a main activity match, 4 with a side activity match; then the
--                   longer (more specific) SBI prefix, more working persons, then the key.
-- Names: initiatives by their register name; establishments by establishment_name, which is NULL for
-- sole traders and partnerships (int_establishments_classified).
with

tenders as (

    select * from {{ ref('stg_programme__tenders') }}

),

initiatives as (

    select * from {{ ref('stg_programme__initiatives') }}

),

sector_codes as (

    select target_sector, code_prefix
    from {{ ref('target_sector_codes') }}
    where code_system = 'cpv'

),

cpv_sbi as (

    select * from {{ ref('cpv_sbi_activities') }}

),

establishments as (

    select * from {{ ref('int_establishments_classified') }}

),

activities as (

    select * from {{ ref('int_establishment_activities') }}

),

tender_sector as (

    select
        tenders.tender_id,
        arg_max(sector_codes.target_sector, length(sector_codes.code_prefix)) as target_sector
    from tenders
    inner join sector_codes
        on starts_with(tenders.cpv_code_8, sector_codes.code_prefix)
    group by tenders.tender_id

),

-- The SBI prefixes at the tender's longest matching CPV prefix.
tender_activities as (

    select tenders.tender_id, cpv_sbi.cpv_prefix, cpv_sbi.sbi2025_prefix
    from tenders
    inner join cpv_sbi
        on starts_with(tenders.cpv_code_8, cpv_sbi.cpv_prefix)
    qualify length(cpv_sbi.cpv_prefix) = max(length(cpv_sbi.cpv_prefix)) over (partition by tenders.tender_id)

),

initiative_candidates as (

    select
        tender_sector.tender_id,
        'initiative' as candidate_type,
        initiatives.initiative_key as candidate_key,
        initiatives.initiative_name as candidate_name,
        'cooperative' as legal_form_group,
        cast(null as varchar) as sbi_code,
        'programme_sector' as match_basis,
        1 as match_rank,
        0 as prefix_length,
        cast(round(initiatives.fte) as integer) as n_employees,
        cast(null as varchar) as pc4
    from tender_sector
    inner join initiatives
        on tender_sector.target_sector = initiatives.target_sector

),

nieuw_west_activities as (

    select
        activities.vestigingsnummer,
        activities.kvk_number,
        activities.activity_role,
        case when activities.sbi_version = '2025' then activities.sbi_code else activities.sbi_division_code end
            as sbi2025_code
    from activities
    where activities.tier = 'nieuw_west'

),

establishment_matches as (

    select
        tender_activities.tender_id,
        nwa.vestigingsnummer,
        nwa.sbi2025_code,
        nwa.activity_role,
        length(tender_activities.sbi2025_prefix) as prefix_length
    from tender_activities
    inner join nieuw_west_activities as nwa
        on starts_with(nwa.sbi2025_code, tender_activities.sbi2025_prefix)
    where nwa.kvk_number not in (select kvk_number from initiatives where kvk_number is not null)
    -- the best match of each establishment for each tender
    qualify row_number() over (
        partition by tender_activities.tender_id, nwa.vestigingsnummer
        order by (nwa.activity_role = 'main') desc, length(tender_activities.sbi2025_prefix) desc
    ) = 1

),

establishment_candidates as (

    select
        matches.tender_id,
        'establishment' as candidate_type,
        {{ keyed_key(['matches.vestigingsnummer']) }} as candidate_key,
        est.establishment_name as candidate_name,
        est.legal_form_group,
        matches.sbi2025_code as sbi_code,
        case when matches.activity_role = 'main' then 'main_activity' else 'side_activity' end as match_basis,
        case
            when est.legal_form_group = 'cooperative' then 2
            when matches.activity_role = 'main' then 3
            else 4
        end as match_rank,
        matches.prefix_length,
        est.n_employees,
        est.pc4
    from establishment_matches as matches
    inner join establishments as est
        on matches.vestigingsnummer = est.vestigingsnummer

),

candidates as (

    select * from initiative_candidates
    union all
    select * from establishment_candidates

),

ranked as (

    select
        candidates.*,
        row_number() over (
            partition by candidates.tender_id
            order by match_rank, prefix_length desc, n_employees desc nulls last, candidate_key
        ) as candidate_rank
    from candidates
    qualify candidate_rank <= {{ var('tender_candidates_per_tender', 25) }}

),

final as (

    select
        tenders.anchor_code,
        tenders.tender_id,
        tenders.title,
        tenders.expected_publication,
        tenders.estimated_value_eur,
        tenders.cpv_code,
        tenders.n_lots,
        tender_sector.target_sector,
        cast(ranked.candidate_rank as integer) as candidate_rank,
        ranked.candidate_type,
        ranked.candidate_key,
        ranked.candidate_name,
        ranked.legal_form_group,
        ranked.sbi_code,
        ranked.match_basis,
        cast(ranked.match_rank as integer) as match_rank,
        cast(ranked.n_employees as integer) as n_employees,
        ranked.pc4
    from ranked
    inner join tenders
        on ranked.tender_id = tenders.tender_id
    left join tender_sector
        on ranked.tender_id = tender_sector.tender_id

)

select * from final
