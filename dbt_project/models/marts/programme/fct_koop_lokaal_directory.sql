-- The Koop Lokaal directory (action 3.2): local suppliers by sector and neighbourhood, from the KvK
-- data. One row per establishment whose own address is in Nieuw-West (PC4 tier) and whose organisation
-- is a legal entity: sole traders and partnerships are natural persons, so they are left out of a
-- published directory (they can be added on their own request, outside this mart).
--   findable   = every row (the programme target counts them)
--   is_active  = the organisation received influenceable spend from an anchor in the latest year of
--                invoice data (net of credit notes, > 0)
with

establishments as (

    select * from {{ ref('int_establishments_classified') }}

),

wijken as (

    select * from {{ ref('stg_reference__amsterdam_pc4_wijken') }}

),

initiatives as (

    select kvk_number from {{ ref('stg_programme__initiatives') }}
    where kvk_number is not null

),

lines as (

    select * from {{ ref('int_invoice_lines_placed') }}

),

latest as (

    select max(invoice_year) as latest_year from lines

),

buying as (

    select
        coalesce(lines.organisation_kvk_number, lines.kvk_number) as kvk_number,
        count(distinct lines.anchor_code) as n_anchors,
        sum(lines.amount_excl_vat) as spend_eur
    from lines
    cross join latest
    where lines.invoice_year = latest.latest_year and lines.is_influenceable
    group by 1

),

final as (

    select
        {{ keyed_key(['est.vestigingsnummer']) }} as establishment_key,
        est.establishment_name,
        est.legal_form_group,
        est.target_sector,
        est.sbi_section_code,
        est.sbi_section_name,
        est.sbi_division_code,
        est.sbi_division_name,
        est.size_class,
        est.pc4,
        wijken.wijk_naam,
        wijken.gebied_naam,
        est.legal_form_group = 'cooperative' as is_cooperative,
        est.kvk_number in (select kvk_number from initiatives) as is_programme_initiative,
        coalesce(buying.spend_eur, 0) > 0 as is_active,
        cast(coalesce(buying.n_anchors, 0) as bigint) as n_anchors_buying_latest_year,
        latest.latest_year
    from establishments as est
    cross join latest
    left join wijken
        on est.pc4 = wijken.pc4
    left join buying
        on est.kvk_number = buying.kvk_number
    where est.tier = 'nieuw_west' and not est.is_natural_person

)

select * from final
