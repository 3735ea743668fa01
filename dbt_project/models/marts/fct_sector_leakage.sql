-- Leakage and opportunity per sector: how much of an anchor's spend in a sector leaves Nieuw-West
-- (and Amsterdam) while establishments with the same activity exist in Nieuw-West. One row per
-- anchor x year x sector_scheme x sector_code that has lines, in two schemes: `target_sector` (the
-- line's target sector, incl. `other` and `unknown`) and `sbi_division` (SBI 2025 division of the
-- supplier's main activity, `unknown` without one). Each scheme splits all of an anchor-year's lines,
-- so per scheme spend_eur adds up to fct_spend_by_tier (tested).
--   spend_eur                       = sum(amount_excl_vat), credit notes netted
--   spend_nieuw_west_eur            = ... filter (tier = 'nieuw_west')
--   spend_leaving_nieuw_west_eur    = ... filter (tier in rest_of_amsterdam, rest_of_mra,
--                                     rest_of_netherlands, abroad): known to land outside Nieuw-West
--   spend_leaving_amsterdam_eur     = ... filter (tier in rest_of_mra, rest_of_netherlands, abroad)
--   spend_unknown_place_eur         = ... filter (tier = 'unknown'): neither local nor leaving
--   so spend_eur = spend_nieuw_west_eur + spend_leaving_nieuw_west_eur + spend_unknown_place_eur.
--   n_nieuw_west_establishments     = establishments with their own address in Nieuw-West whose main
--                                     or a side SBI activity is in the sector (NULL for `other` and
--                                     `unknown`, which are no activity); _main: main activity only
--   n_nieuw_west_organisations      = their distinct KvK numbers
--   leakage_with_local_alternative_eur = spend_leaving_nieuw_west_eur when
--                                     n_nieuw_west_establishments > 0, else 0: the opportunity
--   share_leaving_nieuw_west        = spend_leaving_nieuw_west_eur / spend_eur (NULL when 0)
-- Leakage is about money an anchor could redirect: each spend column also comes for influenceable
-- spend only (int_invoice_lines_placed.is_influenceable: without taxes, pension and social premiums,
-- subsidies paid out and public bodies), named influenceable_<column>:
--   influenceable_spend_eur, _spend_nieuw_west_eur, _spend_leaving_nieuw_west_eur,
--   _spend_leaving_amsterdam_eur, _spend_unknown_place_eur
--                                   = the same sums with `is_influenceable and` added to the filter
--   influenceable_leakage_with_local_alternative_eur = influenceable_spend_leaving_nieuw_west_eur
--                                     when n_nieuw_west_establishments > 0, else 0
--   influenceable_share_leaving_nieuw_west = influenceable_spend_leaving_nieuw_west_eur
--                                     / influenceable_spend_eur (NULL when 0)
-- The total columns stay. Influenceable leakage is not always <= total leakage: an excluded credit
-- note can make the excluded part net negative. Per scheme the influenceable columns add up to
-- fct_local_spend_share (year, influenceable) per anchor-year and tier (tested).
-- Disclosure control (docs/architecture.md, "Privacy"): the rows are the same units as the target_sector
-- and sbi_division rows of fct_spend_by_recipient_group (int_disclosure_decisions, unit
-- `recipient|anchor|year|<scheme>|<sector>`), so both marts withhold the same figures:
--   is_place_split_suppressed = the Nieuw-West / leaving / unknown-place columns and the leakage withheld
--   is_suppressed             = every euro figure and share of the row withheld
--   suppression_reason        = threshold, dominance or secondary.
with

lines as (

    select * from {{ ref('int_invoice_lines_classified') }}

),

decisions as (

    select * from {{ ref('int_disclosure_decisions') }}

),

nieuw_west_establishments as (

    select * from {{ ref('fct_nieuw_west_establishments_by_sector') }}

),

target_sectors as (

    select * from {{ ref('target_sectors') }}

),

-- The lines summed per anchor x year x tier x influenceable x sector first (the two schemes below split
-- these few hundred thousand rows, not every line): a sum of sums is the same sum.
line_groups as (

    select
        anchor_code,
        max(anchor_name) as anchor_name,
        invoice_year,
        tier,
        is_influenceable,
        target_sector,
        sbi_division_code,
        sbi_division_name,
        sum(amount_excl_vat) as amount_excl_vat,
        count(*) as n_lines
    from lines
    group by anchor_code, invoice_year, tier, is_influenceable, target_sector, sbi_division_code, sbi_division_name

),

line_sectors as (

    select
        anchor_code,
        anchor_name,
        invoice_year,
        tier,
        amount_excl_vat,
        n_lines,
        is_influenceable,
        'target_sector' as sector_scheme,
        target_sector as sector_code
    from line_groups
    union all
    select
        anchor_code,
        anchor_name,
        invoice_year,
        tier,
        amount_excl_vat,
        n_lines,
        is_influenceable,
        'sbi_division',
        coalesce(sbi_division_code, 'unknown')
    from line_groups

),

sector_names as (

    select distinct
        'sbi_division' as sector_scheme,
        sbi_division_code as sector_code,
        sbi_division_name as sector_name
    from line_groups
    where sbi_division_code is not null
    union all
    select 'target_sector', target_sector, label_en
    from target_sectors
    union all
    select 'sbi_division', 'unknown', 'Unknown'

),

spend as (

    select
        anchor_code,
        max(anchor_name) as anchor_name,
        invoice_year as year,
        sector_scheme,
        sector_code,
        cast(sum(amount_excl_vat) as decimal(18, 2)) as spend_eur,
        cast(coalesce(sum(amount_excl_vat) filter (where tier = 'nieuw_west'), 0) as decimal(18, 2))
            as spend_nieuw_west_eur,
        cast(coalesce(sum(amount_excl_vat) filter (
            where tier in ('rest_of_amsterdam', 'rest_of_mra', 'rest_of_netherlands', 'abroad')
        ), 0) as decimal(18, 2)) as spend_leaving_nieuw_west_eur,
        cast(coalesce(sum(amount_excl_vat) filter (
            where tier in ('rest_of_mra', 'rest_of_netherlands', 'abroad')
        ), 0) as decimal(18, 2)) as spend_leaving_amsterdam_eur,
        cast(coalesce(sum(amount_excl_vat) filter (where tier = 'unknown'), 0) as decimal(18, 2))
            as spend_unknown_place_eur,
        cast(sum(n_lines) as bigint) as n_lines,
        cast(coalesce(sum(amount_excl_vat) filter (where is_influenceable), 0) as decimal(18, 2))
            as influenceable_spend_eur,
        cast(coalesce(sum(amount_excl_vat) filter (where is_influenceable and tier = 'nieuw_west'), 0)
            as decimal(18, 2)) as influenceable_spend_nieuw_west_eur,
        cast(coalesce(sum(amount_excl_vat) filter (
            where is_influenceable
            and tier in ('rest_of_amsterdam', 'rest_of_mra', 'rest_of_netherlands', 'abroad')
        ), 0) as decimal(18, 2)) as influenceable_spend_leaving_nieuw_west_eur,
        cast(coalesce(sum(amount_excl_vat) filter (
            where is_influenceable and tier in ('rest_of_mra', 'rest_of_netherlands', 'abroad')
        ), 0) as decimal(18, 2)) as influenceable_spend_leaving_amsterdam_eur,
        cast(coalesce(sum(amount_excl_vat) filter (where is_influenceable and tier = 'unknown'), 0)
            as decimal(18, 2)) as influenceable_spend_unknown_place_eur,
        cast(coalesce(sum(n_lines) filter (where is_influenceable), 0) as bigint) as influenceable_n_lines
    from line_sectors
    group by anchor_code, invoice_year, sector_scheme, sector_code

),

local_alternatives as (

    select
        sector_scheme,
        sector_code,
        count(*) as n_nieuw_west_establishments,
        count(*) filter (where activity_role = 'main') as n_nieuw_west_establishments_main,
        count(distinct supplier_key) as n_nieuw_west_organisations
    from nieuw_west_establishments
    group by sector_scheme, sector_code

),

final as (

    select
        spend.anchor_code,
        spend.anchor_name,
        spend.year,
        spend.sector_scheme,
        spend.sector_code,
        names.sector_name,
        spend.spend_eur,
        spend.spend_nieuw_west_eur,
        spend.spend_leaving_nieuw_west_eur,
        spend.spend_leaving_amsterdam_eur,
        spend.spend_unknown_place_eur,
        spend.n_lines,
        case
            when spend.sector_code not in ('other', 'unknown')
                then coalesce(alternatives.n_nieuw_west_establishments, 0)
        end as n_nieuw_west_establishments,
        case
            when spend.sector_code not in ('other', 'unknown')
                then coalesce(alternatives.n_nieuw_west_establishments_main, 0)
        end as n_nieuw_west_establishments_main,
        case
            when spend.sector_code not in ('other', 'unknown')
                then coalesce(alternatives.n_nieuw_west_organisations, 0)
        end as n_nieuw_west_organisations,
        case
            when coalesce(alternatives.n_nieuw_west_establishments, 0) > 0
                and spend.sector_code not in ('other', 'unknown')
                then spend.spend_leaving_nieuw_west_eur
            else cast(0 as decimal(18, 2))
        end as leakage_with_local_alternative_eur,
        cast(spend.spend_leaving_nieuw_west_eur as double) / nullif(cast(spend.spend_eur as double), 0)
            as share_leaving_nieuw_west,
        spend.influenceable_spend_eur,
        spend.influenceable_spend_nieuw_west_eur,
        spend.influenceable_spend_leaving_nieuw_west_eur,
        spend.influenceable_spend_leaving_amsterdam_eur,
        spend.influenceable_spend_unknown_place_eur,
        spend.influenceable_n_lines,
        case
            when coalesce(alternatives.n_nieuw_west_establishments, 0) > 0
                and spend.sector_code not in ('other', 'unknown')
                then spend.influenceable_spend_leaving_nieuw_west_eur
            else cast(0 as decimal(18, 2))
        end as influenceable_leakage_with_local_alternative_eur,
        cast(spend.influenceable_spend_leaving_nieuw_west_eur as double)
        / nullif(cast(spend.influenceable_spend_eur as double), 0) as influenceable_share_leaving_nieuw_west,
        {{ disclosure_is_suppressed('decisions') }} as is_suppressed,
        {{ disclosure_is_place_split_suppressed('decisions') }} as is_place_split_suppressed,
        {{ disclosure_reason('decisions') }} as suppression_reason
    from spend
    left join decisions
        on decisions.unit_id
        = {{ disclosure_unit('recipient', ['spend.anchor_code', 'spend.year', 'spend.sector_scheme',
                                           'spend.sector_code']) }}
    left join sector_names as names
        on spend.sector_scheme = names.sector_scheme
        and spend.sector_code = names.sector_code
    left join local_alternatives as alternatives
        on spend.sector_scheme = alternatives.sector_scheme
        and spend.sector_code = alternatives.sector_code

)

select * from final
