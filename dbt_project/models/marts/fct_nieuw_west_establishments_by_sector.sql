-- The local alternatives: every establishment whose own address lies in Nieuw-West, listed under each
-- sector it is registered for (its main SBI activity or one of its side activities), in two sector
-- schemes: `target_sector` (the programme's six; `other` is not listed) and `sbi_division` (SBI 2025
-- division, SBI 2008 mapped). One row per sector_scheme x sector_code x establishment.
--   activity_role        = `main` when its main activity is in the sector, else `side`
--   spend_all_anchors_eur = sum(amount_excl_vat) the anchors paid its organisation (any establishment,
--                           any year); 0 when none of them buys from it yet
--   influenceable_spend_all_anchors_eur = the same, filter (where is_influenceable): what the
--                           anchors buy from it that they could redirect (0 when none)
--   n_anchors_buying     = number of anchors with lines to its organisation
-- Privacy: names are NULL when the owners may be natural persons (eenmanszaak, VOF, maatschap, CV,
-- or an unknown legal form); no KvK or vestiging numbers: establishment_key and supplier_key (the same
-- key as in the spend marts) are stable keys, keyed with the project salt. What the anchors pay such an
-- organisation is one person's income: is_suppressed (suppression_reason `natural_person`), and the
-- publication view withholds spend_all_anchors_eur and influenceable_spend_all_anchors_eur
-- (docs/architecture.md, "Privacy").
with

activities as (

    select * from {{ ref('int_establishment_activities') }}

),

establishments as (

    select * from {{ ref('int_establishments_classified') }}

),

suppliers as (

    select * from {{ ref('int_suppliers_by_anchor_year') }}

),

target_sectors as (

    select * from {{ ref('target_sectors') }}

),

nieuw_west_activities as (

    select * from activities where tier = 'nieuw_west'

),

by_sector as (

    select
        'target_sector' as sector_scheme,
        target_sector as sector_code,
        vestigingsnummer,
        activity_role
    from nieuw_west_activities
    where target_sector not in ('other', 'unknown')
    union all
    select
        'sbi_division',
        sbi_division_code,
        vestigingsnummer,
        activity_role
    from nieuw_west_activities
    where sbi_division_code is not null

),

-- an establishment registered twice for one sector (main and side, or two side codes) counts once
deduplicated as (

    select
        sector_scheme,
        sector_code,
        vestigingsnummer,
        case when bool_or(activity_role = 'main') then 'main' else 'side' end as activity_role
    from by_sector
    group by all

),

sector_names as (

    select distinct
        'sbi_division' as sector_scheme,
        sbi_division_code as sector_code,
        sbi_division_name as sector_name
    from activities
    where sbi_division_code is not null
    union all
    select 'target_sector', target_sector, label_en
    from target_sectors

),

organisation_spend as (

    select
        organisation_kvk_number,
        sum(spend_eur) as spend_all_anchors_eur,
        sum(influenceable_spend_eur) as influenceable_spend_all_anchors_eur,
        count(distinct anchor_code) as n_anchors_buying
    from suppliers
    where organisation_kvk_number is not null
    group by organisation_kvk_number

),

final as (

    select
        dedup.sector_scheme,
        dedup.sector_code,
        names.sector_name,
        {{ keyed_key(["'establishment'", 'est.vestigingsnummer']) }} as establishment_key,
        {{ keyed_key(["'organisation'", 'est.kvk_number']) }} as supplier_key,
        est.establishment_name,
        est.organisation_name,
        est.legal_form_group,
        dedup.activity_role,
        est.pc4,
        est.size_class,
        est.is_social_enterprise,
        cast(coalesce(spend.spend_all_anchors_eur, 0) as decimal(18, 2)) as spend_all_anchors_eur,
        cast(coalesce(spend.influenceable_spend_all_anchors_eur, 0) as decimal(18, 2))
            as influenceable_spend_all_anchors_eur,
        coalesce(spend.n_anchors_buying, 0) as n_anchors_buying,
        est.is_natural_person as is_suppressed,
        case when est.is_natural_person then 'natural_person' end as suppression_reason
    from deduplicated as dedup
    inner join establishments as est
        on dedup.vestigingsnummer = est.vestigingsnummer
    left join sector_names as names
        on dedup.sector_scheme = names.sector_scheme
        and dedup.sector_code = names.sector_code
    left join organisation_spend as spend
        on est.kvk_number = spend.organisation_kvk_number

)

select * from final
