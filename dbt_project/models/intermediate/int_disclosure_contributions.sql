{{ config(materialized='group_incremental', group_by=['anchor_code', 'invoice_year', 'supplier_key'],
          group_inputs=['int_invoice_lines_classified', 'int_disclosure_suppliers']) }}

-- Disclosure control, step 2 (docs/architecture.md, "Privacy"; ingestion/disclosure.py): the money of
-- every published unit (one row of figures of a mart), split into the components its figures let a
-- reader compute, and by supplier. One row per unit x component x supplier.
-- Families:
--   recipient  the rows of fct_spend_by_recipient_group (anchor x year x dimension x group) and of
--              fct_sector_leakage (its target_sector and sbi_division rows are the same units), and the
--              anchor-year total `recipient|<anchor>|<year>|*|*`. Component = place x influenceable,
--              place = nieuw_west, rest_of_amsterdam, outside_amsterdam (rest of MRA, rest of NL, abroad)
--              or unknown (macro disclosure_place): together the Nieuw-West, Amsterdam, leaving and
--              unknown-place figures of both marts; coarse component = influenceable or not (the spend and
--              influenceable spend that remain when the place split is withheld).
--   tier       the rows of fct_local_spend_share (and so fct_spend_by_tier, fct_nieuw_west_progress,
--              fct_lm3): anchor x period_grain x period x tier, and the period total (tier `*`).
--              Component = influenceable or not (its two spend_scope rows); no coarse level.
--   amount_eur     = sum(amount_excl_vat) of the supplier's lines in the unit and component
--   is_protected, is_published = the supplier's flags for the anchor-year (int_disclosure_suppliers)
-- A row depends only on its supplier's lines of its anchor-year and the supplier's flags there: the table
-- is built per anchor x year x supplier (materialization group_incremental, macros/group_incremental.sql),
-- so a monthly refresh computes again only the groups whose lines or flags changed.
with

-- NOT MATERIALIZED: this CTE is read twice. DuckDB would otherwise write all of it (ten million lines) to a
-- temporary buffer and scan that twice; inlined, each use reads only the columns it needs
-- (README "Scale and speed": 14-16 -> 10-11 s at 10M lines).
lines as not materialized (

    select * from {{ ref('int_invoice_lines_classified') }} {{ group_increment_scope() }}

),

suppliers as (

    select * from {{ ref('int_disclosure_suppliers') }} {{ group_increment_scope() }}

),

-- The lines summed first to all that the recipient units and components depend on, so that the split
-- into units below runs over supplier-years, not over every line (a sum of sums is the same sum).
recipient_base as (

    select
        anchor_code,
        invoice_year,
        supplier_key,
        tier,
        case when is_influenceable then 'influenceable' else 'not_influenceable' end as scope,
        coalesce(sbi_section_code, 'unknown') as sbi_section,
        coalesce(sbi_division_code, 'unknown') as sbi_division,
        target_sector,
        legal_form_group,
        size_class,
        sum(amount_excl_vat) as amount_excl_vat
    from lines
    group by all

),

recipient_lines as (

    select
        recipient_base.*,
        dims.dimension,
        dims.group_code
    from recipient_base
    cross join lateral (
        select 'sbi_section' as dimension, recipient_base.sbi_section as group_code
        union all
        select 'sbi_division', recipient_base.sbi_division
        union all
        select 'target_sector', recipient_base.target_sector
        union all
        select 'legal_form_group', recipient_base.legal_form_group
        union all
        select 'size_class', recipient_base.size_class
        union all
        select '*', '*'
    ) as dims

),

recipient as (

    select
        'recipient' as family,
        {{ disclosure_unit('recipient', ['anchor_code', 'invoice_year', 'dimension', 'group_code']) }} as unit_id,
        {{ disclosure_place('tier') }} || '|' || scope as component,
        scope as coarse_component,
        anchor_code,
        invoice_year,
        supplier_key,
        sum(amount_excl_vat) as amount_eur
    from recipient_lines
    group by all

),

-- Likewise per supplier-month for the tier units (months, and so quarters and years).
tier_base as (

    select
        anchor_code,
        invoice_year,
        date_trunc('month', invoice_date) as invoice_month,
        supplier_key,
        tier,
        case when is_influenceable then 'influenceable' else 'not_influenceable' end as scope,
        sum(amount_excl_vat) as amount_excl_vat
    from lines
    group by all

),

tier_lines as (

    select
        tier_base.*,
        grains.period_grain,
        {{ period_label('grains.period_grain', 'tier_base.invoice_month') }} as period,
        tiers.tier_or_total
    from tier_base
    cross join (select unnest(['year', 'quarter', 'month']) as period_grain) as grains
    cross join lateral (
        select tier_base.tier as tier_or_total
        union all
        select '*'
    ) as tiers

),

tier as (

    select
        'tier' as family,
        {{ disclosure_unit('tier', ['anchor_code', 'period_grain', 'period', 'tier_or_total']) }} as unit_id,
        scope as component,
        scope as coarse_component,
        anchor_code,
        invoice_year,
        supplier_key,
        sum(amount_excl_vat) as amount_eur
    from tier_lines
    group by all

),

unioned as (

    select * from recipient
    union all
    select * from tier

),

final as (

    select
        unioned.family,
        unioned.unit_id,
        unioned.component,
        unioned.coarse_component,
        unioned.anchor_code,
        unioned.invoice_year,
        unioned.supplier_key,
        cast(unioned.amount_eur as decimal(18, 2)) as amount_eur,
        suppliers.is_protected,
        suppliers.is_published
    from unioned
    inner join suppliers
        on unioned.anchor_code = suppliers.anchor_code
        and unioned.invoice_year = suppliers.invoice_year
        and unioned.supplier_key = suppliers.supplier_key

)

select * from final
