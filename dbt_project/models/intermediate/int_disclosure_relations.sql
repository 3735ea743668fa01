-- Disclosure control, step 3 (docs/architecture.md, "Privacy"; ingestion/disclosure.py): the additive
-- relations between published units, for secondary suppression. One row per relation x member unit: the
-- total unit's money (per component) is the sum of its members'. So a total minus the published members
-- gives the hidden members' sum, which must itself be safe.
--   recipient  per anchor x year x dimension: the groups add up to the anchor-year (`*|*`, whose figures
--              fct_local_spend_share publishes); per anchor x year x SBI section: its divisions add up
--              to it (the sbi_section and sbi_division rows of fct_spend_by_recipient_group).
--   tier       per anchor x grain x period: the six tiers add up to the period total (`*`); per anchor x
--              tier (and `*`): the quarters add up to the year, the months to the quarter.
-- anchor_code and invoice_year: the anchor-year of the relation's units. No relation links two anchor-years,
-- so int_disclosure_decisions decides each anchor-year on its own (and a refresh only those that changed).
with

-- Every use below is a distinct set, so the lines are reduced to their distinct groups and months first.
lines as (

    select distinct
        anchor_code,
        invoice_year,
        coalesce(sbi_section_code, 'unknown') as sbi_section,
        coalesce(sbi_division_code, 'unknown') as sbi_division,
        target_sector,
        legal_form_group,
        size_class,
        -- the month is all the periods below use
        date_trunc('month', invoice_date) as invoice_month
    from {{ ref('int_invoice_lines_classified') }}

),

geography_tiers as (

    select tier from {{ ref('geography_tiers') }}
    union all
    select '*'

),

recipient_groups as (

    select distinct anchor_code, invoice_year, 'sbi_section' as dimension, sbi_section as group_code from lines
    union
    select distinct anchor_code, invoice_year, 'sbi_division', sbi_division from lines
    union
    select distinct anchor_code, invoice_year, 'target_sector', target_sector from lines
    union
    select distinct anchor_code, invoice_year, 'legal_form_group', legal_form_group from lines
    union
    select distinct anchor_code, invoice_year, 'size_class', size_class from lines

),

recipient_dimensions as (

    select
        'recipient' as family,
        anchor_code,
        invoice_year,
        {{ disclosure_unit('recipient', ['anchor_code', 'invoice_year', 'dimension']) }} as relation_id,
        {{ disclosure_unit('recipient', ['anchor_code', 'invoice_year', "'*'", "'*'"]) }} as total_unit_id,
        {{ disclosure_unit('recipient', ['anchor_code', 'invoice_year', 'dimension', 'group_code']) }}
            as member_unit_id
    from recipient_groups

),

recipient_sections as (

    select distinct
        'recipient' as family,
        anchor_code,
        invoice_year,
        {{ disclosure_unit('recipient', ['anchor_code', 'invoice_year', "'sbi_section'", 'sbi_section']) }}
            || '|divisions' as relation_id,
        {{ disclosure_unit('recipient', ['anchor_code', 'invoice_year', "'sbi_section'", 'sbi_section']) }}
            as total_unit_id,
        {{ disclosure_unit('recipient', ['anchor_code', 'invoice_year', "'sbi_division'", 'sbi_division']) }}
            as member_unit_id
    from lines

),

periods as (

    select distinct
        anchor_code,
        invoice_year,
        {{ period_label("'year'", 'invoice_month') }} as year_period,
        {{ period_label("'quarter'", 'invoice_month') }} as quarter_period,
        {{ period_label("'month'", 'invoice_month') }} as month_period
    from lines

),

tier_periods as (

    select distinct anchor_code, invoice_year, 'year' as period_grain, year_period as period from periods
    union
    select distinct anchor_code, invoice_year, 'quarter', quarter_period from periods
    union
    select distinct anchor_code, invoice_year, 'month', month_period from periods

),

tier_totals as (

    select
        'tier' as family,
        p.anchor_code,
        p.invoice_year,
        {{ disclosure_unit('tier', ['p.anchor_code', 'p.period_grain', 'p.period']) }} as relation_id,
        {{ disclosure_unit('tier', ['p.anchor_code', 'p.period_grain', 'p.period', "'*'"]) }} as total_unit_id,
        {{ disclosure_unit('tier', ['p.anchor_code', 'p.period_grain', 'p.period', 't.tier']) }} as member_unit_id
    from tier_periods as p
    cross join geography_tiers as t
    where t.tier <> '*'

),

tier_quarters as (

    select distinct
        'tier' as family,
        p.anchor_code,
        p.invoice_year,
        {{ disclosure_unit('tier', ['p.anchor_code', "'year'", 'p.year_period', 't.tier']) }} || '|quarters'
            as relation_id,
        {{ disclosure_unit('tier', ['p.anchor_code', "'year'", 'p.year_period', 't.tier']) }} as total_unit_id,
        {{ disclosure_unit('tier', ['p.anchor_code', "'quarter'", 'p.quarter_period', 't.tier']) }} as member_unit_id
    from periods as p
    cross join geography_tiers as t

),

tier_months as (

    select distinct
        'tier' as family,
        p.anchor_code,
        p.invoice_year,
        {{ disclosure_unit('tier', ['p.anchor_code', "'quarter'", 'p.quarter_period', 't.tier']) }} || '|months'
            as relation_id,
        {{ disclosure_unit('tier', ['p.anchor_code', "'quarter'", 'p.quarter_period', 't.tier']) }}
            as total_unit_id,
        {{ disclosure_unit('tier', ['p.anchor_code', "'month'", 'p.month_period', 't.tier']) }} as member_unit_id
    from periods as p
    cross join geography_tiers as t

),

final as (

    select * from recipient_dimensions
    union all
    select * from recipient_sections
    union all
    select * from tier_totals
    union all
    select * from tier_quarters
    union all
    select * from tier_months

)

select * from final
