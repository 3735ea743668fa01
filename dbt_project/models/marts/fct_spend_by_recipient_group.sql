-- Who receives the money: spend of each anchor per year broken down by one recipient dimension at a
-- time. One row per anchor x year x dimension x group that has lines, for five dimensions:
--   sbi_section       SBI 2025 section of the supplier's main activity (SBI 2008 mapped, see the
--                     sbi2008_sbi2025_correspondence seed); `unknown` without a known activity;
--   sbi_division      SBI 2025 division, likewise;
--   target_sector     the programme's target sector (SBI, else CPV; see int_invoice_lines_classified);
--   legal_form_group  cooperative, foundation, association, sole_trader_partnership, bv_nv,
--                     public_body, foreign, unknown;
--   size_class        working persons of the supplier's organisation (1, 2-9, 10-49, 50-249, 250+,
--                     unknown).
-- Every dimension splits the same lines, so per anchor x year x dimension the groups add up to the
-- anchor-year's spend in fct_spend_by_tier (tested).
--   spend_eur                   = sum(amount_excl_vat), credit notes netted
--   spend_nieuw_west_eur        = sum(amount_excl_vat) filter (tier = 'nieuw_west')
--   spend_amsterdam_eur         = sum(amount_excl_vat) filter (tier in nieuw_west, rest_of_amsterdam)
--   share                       = spend_eur / sum(spend_eur) over the anchor x year x dimension
-- and the same for influenceable spend only (int_invoice_lines_placed.is_influenceable: without
-- taxes, pension and social premiums, subsidies paid out and public bodies):
--   influenceable_spend_eur     = sum(amount_excl_vat) filter (where is_influenceable), 0 when none
--   influenceable_spend_nieuw_west_eur = ... filter (where is_influenceable and tier = 'nieuw_west')
--   influenceable_spend_amsterdam_eur  = ... filter (where is_influenceable and tier in nieuw_west,
--                                        rest_of_amsterdam)
--   influenceable_n_lines       = count(*) filter (where is_influenceable)
--   influenceable_share         = influenceable_spend_eur / sum(influenceable_spend_eur) over the
--                                 anchor x year x dimension (NULL when that nets to zero)
-- Per anchor x year x dimension the influenceable groups add up to the anchor-year's influenceable
-- spend in fct_local_spend_share (period_grain 'year', spend_scope 'influenceable'; tested).
--   spend_partial_sbi_mapping_eur = for the SBI dimensions, spend whose SBI 2008 code maps to SBI 2025
--                                 only approximately (correspondence `partial`); NULL for the others.
-- Disclosure control (docs/architecture.md, "Privacy"; int_disclosure_decisions, unit
-- `recipient|anchor|year|dimension|group`): the figures stay exact here; publication views NULL them:
--   is_place_split_suppressed = the Nieuw-West / Amsterdam split (and the partial-mapping spend) would
--                                 reveal a sole trader's income (or protect another cell's): withheld
--   is_suppressed               = every euro figure and share of the row is withheld
--   suppression_reason          = threshold, dominance (the row fails the rule) or secondary.
with

lines as (

    select * from {{ ref('int_invoice_lines_classified') }}

),

decisions as (

    select * from {{ ref('int_disclosure_decisions') }}

),

target_sectors as (

    select * from {{ ref('target_sectors') }}

),

size_classes as (

    select * from {{ ref('size_classes') }}

),

-- The lines summed first to all that the groups and figures below depend on (a supplier's groups, tier
-- and scope in an anchor-year), so that the split into dimensions runs over far fewer rows than lines.
line_sums as (

    select
        anchor_code,
        anchor_name,
        invoice_year,
        supplier_key,
        tier,
        is_influenceable,
        sbi_correspondence,
        sbi_section_code,
        sbi_section_name,
        sbi_division_code,
        sbi_division_name,
        target_sector,
        legal_form_group,
        size_class,
        sum(amount_excl_vat) as amount_excl_vat,
        count(*) as n_lines
    from lines
    group by all

),

-- One row per line sum x dimension: its group in that dimension.
line_groups as (

    select
        lines.*,
        dims.dimension,
        dims.group_code,
        dims.group_label
    from line_sums as lines
    cross join lateral (
        select
            'sbi_section' as dimension,
            coalesce(lines.sbi_section_code, 'unknown') as group_code,
            coalesce(lines.sbi_section_name, 'Unknown') as group_label
        union all
        select
            'sbi_division',
            coalesce(lines.sbi_division_code, 'unknown'),
            coalesce(lines.sbi_division_name, 'Unknown')
        union all
        select 'target_sector', lines.target_sector, null
        union all
        select 'legal_form_group', lines.legal_form_group, null
        union all
        select 'size_class', lines.size_class, null
    ) as dims

),

labelled as (

    select
        line_groups.* exclude (group_label),
        case line_groups.dimension
            when 'target_sector' then sectors.label_en
            when 'size_class' then coalesce(sizes.label_nl, 'Unknown')
            when 'legal_form_group' then case line_groups.group_code
                when 'cooperative' then 'Co-operatives and mutuals'
                when 'foundation' then 'Foundations (stichting)'
                when 'association' then 'Associations (vereniging)'
                when 'sole_trader_partnership' then 'Sole traders and partnerships (eenmanszaak, VOF, maatschap, CV)'
                when 'bv_nv' then 'Limited companies (BV, NV)'
                when 'public_body' then 'Public bodies'
                when 'foreign' then 'Foreign'
                else 'Unknown'
            end
            else line_groups.group_label
        end as group_label,
        case line_groups.dimension
            when 'target_sector' then sectors.sector_order
            when 'size_class' then coalesce(sizes.size_order, 99)
            when 'legal_form_group' then case line_groups.group_code
                when 'cooperative' then 1
                when 'foundation' then 2
                when 'association' then 3
                when 'sole_trader_partnership' then 4
                when 'bv_nv' then 5
                when 'public_body' then 6
                when 'foreign' then 7
                else 99
            end
            -- SBI: sections A..V in letter order, divisions by number; unknown last
            when 'sbi_section' then case
                when line_groups.group_code = 'unknown' then 99
                else ascii(line_groups.group_code) - ascii('A') + 1
            end
            when 'sbi_division' then coalesce(try_cast(line_groups.group_code as integer), 99)
        end as group_order
    from line_groups
    left join target_sectors as sectors
        on line_groups.dimension = 'target_sector'
        and line_groups.group_code = sectors.target_sector
    left join size_classes as sizes
        on line_groups.dimension = 'size_class'
        and line_groups.group_code = sizes.size_class

),

aggregated as (

    select
        anchor_code,
        max(anchor_name) as anchor_name,
        invoice_year as year,
        dimension,
        group_code,
        max(group_label) as group_label,
        max(group_order) as group_order,
        cast(sum(amount_excl_vat) as decimal(18, 2)) as spend_eur,
        cast(coalesce(sum(amount_excl_vat) filter (where tier = 'nieuw_west'), 0) as decimal(18, 2))
            as spend_nieuw_west_eur,
        cast(
            coalesce(sum(amount_excl_vat) filter (where tier in ('nieuw_west', 'rest_of_amsterdam')), 0)
            as decimal(18, 2)
        ) as spend_amsterdam_eur,
        case
            when dimension in ('sbi_section', 'sbi_division') then cast(
                coalesce(sum(amount_excl_vat) filter (where sbi_correspondence = 'partial'), 0)
                as decimal(18, 2)
            )
        end as spend_partial_sbi_mapping_eur,
        cast(sum(n_lines) as bigint) as n_lines,
        count(distinct supplier_key) as n_suppliers,
        cast(coalesce(sum(amount_excl_vat) filter (where is_influenceable), 0) as decimal(18, 2))
            as influenceable_spend_eur,
        cast(
            coalesce(sum(amount_excl_vat) filter (where is_influenceable and tier = 'nieuw_west'), 0)
            as decimal(18, 2)
        ) as influenceable_spend_nieuw_west_eur,
        cast(
            coalesce(sum(amount_excl_vat) filter (
                where is_influenceable and tier in ('nieuw_west', 'rest_of_amsterdam')
            ), 0) as decimal(18, 2)
        ) as influenceable_spend_amsterdam_eur,
        cast(coalesce(sum(n_lines) filter (where is_influenceable), 0) as bigint) as influenceable_n_lines
    from labelled
    group by anchor_code, invoice_year, dimension, group_code

),

final as (

    select
        aggregated.*,
        cast(aggregated.spend_eur as double)
        / nullif(cast(sum(aggregated.spend_eur) over by_dimension as double), 0)
            as share,
        cast(aggregated.influenceable_spend_eur as double)
        / nullif(cast(sum(aggregated.influenceable_spend_eur) over by_dimension as double), 0)
            as influenceable_share,
        {{ disclosure_is_suppressed('decisions') }} as is_suppressed,
        {{ disclosure_is_place_split_suppressed('decisions') }} as is_place_split_suppressed,
        {{ disclosure_reason('decisions') }} as suppression_reason
    from aggregated
    left join decisions
        on decisions.unit_id
        = {{ disclosure_unit('recipient', ['aggregated.anchor_code', 'aggregated.year', 'aggregated.dimension',
                                           'aggregated.group_code']) }}
    window by_dimension as (partition by aggregated.anchor_code, aggregated.year, aggregated.dimension)

)

select * from final
