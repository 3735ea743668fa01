{{ config(materialized='group_incremental', group_by=['anchor_code', 'invoice_year'],
          group_inputs=['int_invoice_lines_classified']) }}

-- One row per anchor x year x supplier (supplier_key: the organisation by KvK number when an
-- establishment is known, else the anchor's creditor), with its spend and a profile:
--   spend_eur            = sum(amount_excl_vat), credit notes netted
--   spend_nieuw_west_eur = sum(amount_excl_vat) filter (tier = 'nieuw_west')
--   influenceable_spend_eur
--                        = sum(amount_excl_vat) filter (where is_influenceable), 0 when none
--   influenceable_spend_nieuw_west_eur
--                        = sum(amount_excl_vat) filter (where is_influenceable and tier = 'nieuw_west')
--   tier, target_sector, sbi_section/division, legal_form_group, size_class
--                        = those of the supplier's lines with the largest net spend (ties: the
--                          lowest tier order, then alphabetical): under the default CLES basis an
--                          organisation has one tier, and its establishments usually one activity.
--   supplier_refs        = the anchor's creditor numbers of the supplier, sorted, comma-separated.
--   non_local_rank       = the CLES "top 300" rank: row_number() over (anchor, year order by
--                          influenceable_spend_eur desc, supplier_key) among the suppliers whose tier is not
--                          nieuw_west and whose influenceable spend is positive; NULL for the others
--                          (fct_top_non_local_suppliers lists rank <= var top_suppliers_per_anchor_year,
--                          and the disclosure rule counts those suppliers' amounts as published).
-- A row depends only on the lines of its anchor-year (the ranks are per anchor-year): the table is built per
-- anchor x year (materialization group_incremental, macros/group_incremental.sql), so a monthly refresh
-- computes again only the anchor-years whose lines changed.
-- Names stay NULL for natural persons (int_establishments_classified); kvk_number is kept here
-- (intermediate) and nulled for natural persons in the marts.
with

lines as (

    select * from {{ ref('int_invoice_lines_classified') }} {{ group_increment_scope() }}

),

geography_tiers as (

    select * from {{ ref('geography_tiers') }}

),

-- The lines are read once, summed at the grain of supplier x profile x creditor number; the supplier totals
-- and the profiles are both rolled up from that (a few hundred thousand rows at 10 million lines).
grains as (

    select
        lines.anchor_code,
        lines.invoice_year,
        lines.supplier_key,
        lines.tier,
        lines.target_sector,
        lines.sbi_section_code,
        lines.sbi_section_name,
        lines.sbi_division_code,
        lines.sbi_division_name,
        lines.legal_form_group,
        lines.size_class,
        lines.supplier_ref,
        max(lines.anchor_name) as anchor_name,
        max(lines.organisation_kvk_number) as organisation_kvk_number,
        bool_or(lines.is_natural_person) as is_natural_person,
        max(lines.organisation_name) as organisation_name,
        bool_or(lines.is_social_enterprise) as is_social_enterprise,
        sum(lines.amount_excl_vat) as spend_eur,
        sum(lines.amount_excl_vat) filter (where lines.is_influenceable) as influenceable_spend_eur,
        count(*) as n_lines,
        count(*) filter (where lines.is_influenceable) as influenceable_n_lines
    from lines
    group by all

),

profiles as (

    select
        grains.anchor_code,
        grains.invoice_year,
        grains.supplier_key,
        grains.tier,
        tiers.tier_order,
        grains.target_sector,
        grains.sbi_section_code,
        grains.sbi_section_name,
        grains.sbi_division_code,
        grains.sbi_division_name,
        grains.legal_form_group,
        grains.size_class,
        sum(grains.spend_eur) as profile_spend
    from grains
    left join geography_tiers as tiers
        on grains.tier = tiers.tier
    group by all

),

predominant_profiles as (

    select *
    from profiles
    qualify row_number() over (
        partition by anchor_code, invoice_year, supplier_key
        order by
            profile_spend desc, tier_order, target_sector, sbi_division_code nulls last,
            legal_form_group, size_class
    ) = 1

),

spend as (

    select
        anchor_code,
        max(anchor_name) as anchor_name,
        invoice_year,
        supplier_key,
        max(organisation_kvk_number) as organisation_kvk_number,
        bool_or(is_natural_person) as is_natural_person,
        max(organisation_name) as organisation_name,
        bool_or(is_social_enterprise) as is_social_enterprise,
        string_agg(distinct supplier_ref, ',' order by supplier_ref) as supplier_refs,
        sum(spend_eur) as spend_eur,
        coalesce(sum(spend_eur) filter (where tier = 'nieuw_west'), 0) as spend_nieuw_west_eur,
        coalesce(sum(influenceable_spend_eur), 0) as influenceable_spend_eur,
        coalesce(sum(influenceable_spend_eur) filter (where tier = 'nieuw_west'), 0)
            as influenceable_spend_nieuw_west_eur,
        cast(sum(n_lines) as bigint) as n_lines,
        cast(sum(influenceable_n_lines) as bigint) as influenceable_n_lines
    from grains
    group by anchor_code, invoice_year, supplier_key

),

joined as (

    select
        spend.anchor_code,
        spend.anchor_name,
        spend.invoice_year,
        spend.supplier_key,
        spend.organisation_kvk_number,
        spend.is_natural_person,
        spend.organisation_name,
        spend.is_social_enterprise,
        spend.supplier_refs,
        profiles.tier,
        profiles.target_sector,
        profiles.sbi_section_code,
        profiles.sbi_section_name,
        profiles.sbi_division_code,
        profiles.sbi_division_name,
        profiles.legal_form_group,
        profiles.size_class,
        spend.spend_eur,
        spend.spend_nieuw_west_eur,
        spend.influenceable_spend_eur,
        spend.influenceable_spend_nieuw_west_eur,
        spend.n_lines,
        spend.influenceable_n_lines
    from spend
    inner join predominant_profiles as profiles
        on spend.anchor_code = profiles.anchor_code
        and spend.invoice_year = profiles.invoice_year
        and spend.supplier_key = profiles.supplier_key

),

final as (

    select
        *,
        case
            when tier <> 'nieuw_west' and influenceable_spend_eur > 0 then row_number() over (
                partition by anchor_code, invoice_year, (tier <> 'nieuw_west' and influenceable_spend_eur > 0)
                order by influenceable_spend_eur desc, supplier_key
            )
        end as non_local_rank
    from joined

)

select * from final
