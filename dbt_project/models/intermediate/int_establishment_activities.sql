-- One row per KvK establishment x registered SBI activity (its main activity and up to two side
-- activities), each shown in the one SBI 2025 view and assigned a target sector:
--   sbi_division_code = for SBI 2025 codes the first two digits; for SBI 2008 codes the
--                       `sbi2025_division_code` of the longest `sbi2008_code_prefix` of the
--                       correspondence seed that the code starts with (NULL when none does, e.g.
--                       KvK's 0001/0002 placeholders);
--   target_sector     = the sector of the longest `code_prefix` of `target_sector_codes` (code system
--                       sbi2008 or sbi2025 by the extract's SBI version) that the code starts with,
--                       else `other`.
-- The establishment's own address decides its tier (not its organisation's): this is the register
-- side of the leakage analysis ("which establishments in Nieuw-West do this activity").
-- An activity code listed twice for one establishment (as main and side) is kept once, as main.
with

establishments_source as (

    select * from {{ ref('stg_kvk__establishments') }}

),

pc4s as (

    select * from {{ ref('int_pc4s_tiered') }}

),

correspondence as (

    select * from {{ ref('sbi2008_sbi2025_correspondence') }}

),

target_sector_codes as (

    select * from {{ ref('target_sector_codes') }}

),

sbi_codes as (

    select * from {{ ref('stg_reference__sbi_codes') }}

),

-- The one view: SBI 2025 divisions with their section (sentence case: SBI 2025 writes section
-- names in capitals).
sbi2025_divisions as (

    select
        divisions.sbi_code as sbi_division_code,
        divisions.description_nl as sbi_division_name,
        divisions.section_code as sbi_section_code,
        upper(left(sections.description_nl, 1)) || lower(substr(sections.description_nl, 2)) as sbi_section_name
    from sbi_codes as divisions
    inner join sbi_codes as sections
        on divisions.section_code = sections.sbi_code
        and sections.sbi_version = '2025'
        and sections.level = 1
    where divisions.sbi_version = '2025' and divisions.level = 2

),

-- One row per vestigingsnummer (the latest extract wins), as in int_invoice_lines_placed.
establishments as (

    select *
    from establishments_source
    {{ latest_extract_per_establishment() }}

),

main_activities as (

    select
        vestigingsnummer,
        'main' as activity_role,
        trim(sbi_main_activity_code) as sbi_code
    from establishments
    where nullif(trim(sbi_main_activity_code), '') is not null

),

side_activities as (

    select
        vestigingsnummer,
        'side' as activity_role,
        trim(unnest(string_split(sbi_side_activity_codes, '|'))) as sbi_code
    from establishments
    where nullif(trim(sbi_side_activity_codes), '') is not null

),

activities as (

    select *
    from (
        select * from main_activities
        union all
        select * from side_activities
    )
    where sbi_code <> ''
    qualify row_number() over (
        partition by vestigingsnummer, sbi_code
        order by case activity_role when 'main' then 0 else 1 end
    ) = 1

),

with_establishment as (

    select
        activities.vestigingsnummer,
        est.kvk_number,
        activities.activity_role,
        activities.sbi_code,
        est.sbi_version,
        est.pc4,
        pc4s.tier
    from activities
    inner join establishments as est
        on activities.vestigingsnummer = est.vestigingsnummer
    left join pc4s
        on est.pc4 = pc4s.pc4

),

sbi2008_divisions as (

    select
        act.vestigingsnummer,
        act.sbi_code,
        corr.sbi2025_division_code,
        corr.correspondence
    from with_establishment as act
    inner join correspondence as corr
        on starts_with(act.sbi_code, corr.sbi2008_code_prefix)
    where act.sbi_version = '2008'
    qualify row_number() over (
        partition by act.vestigingsnummer, act.sbi_code
        order by length(corr.sbi2008_code_prefix) desc
    ) = 1

),

target_sectors as (

    select
        act.vestigingsnummer,
        act.sbi_code,
        codes.target_sector
    from with_establishment as act
    inner join target_sector_codes as codes
        on codes.code_system = 'sbi' || act.sbi_version
        and starts_with(act.sbi_code, codes.code_prefix)
    qualify row_number() over (
        partition by act.vestigingsnummer, act.sbi_code
        order by length(codes.code_prefix) desc
    ) = 1

),

mapped as (

    select
        act.*,
        case
            when act.sbi_version = '2025' then left(act.sbi_code, 2)
            else sbi2008.sbi2025_division_code
        end as mapped_division_code,
        case
            when act.sbi_version = '2025' then 'same_code'
            else sbi2008.correspondence
        end as mapped_correspondence,
        coalesce(sectors.target_sector, 'other') as target_sector
    from with_establishment as act
    left join sbi2008_divisions as sbi2008
        on act.vestigingsnummer = sbi2008.vestigingsnummer
        and act.sbi_code = sbi2008.sbi_code
    left join target_sectors as sectors
        on act.vestigingsnummer = sectors.vestigingsnummer
        and act.sbi_code = sectors.sbi_code

),

-- A division that is not in the SBI 2025 tree (a malformed code) is left unknown.
final as (

    select
        mapped.vestigingsnummer,
        mapped.kvk_number,
        mapped.activity_role,
        mapped.sbi_version,
        mapped.sbi_code,
        divisions.sbi_section_code,
        divisions.sbi_section_name,
        divisions.sbi_division_code,
        divisions.sbi_division_name,
        case when divisions.sbi_division_code is not null then mapped.mapped_correspondence end
            as sbi_correspondence,
        mapped.target_sector,
        mapped.pc4,
        mapped.tier
    from mapped
    left join sbi2025_divisions as divisions
        on mapped.mapped_division_code = divisions.sbi_division_code

)

select * from final
