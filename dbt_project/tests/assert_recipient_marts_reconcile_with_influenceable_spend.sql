-- The influenceable columns of the recipient and leakage marts add up, per anchor-year, to the
-- anchor-year's influenceable spend in fct_local_spend_share (period_grain 'year', spend_scope
-- 'influenceable'), in total and per tier, to the cent: each dimension of fct_spend_by_recipient_group
-- and each sector scheme of fct_sector_leakage splits all of an anchor-year's influenceable lines, and
-- so does int_suppliers_by_anchor_year (the base of the top-300, shared-supplier and
-- social-enterprise marts). A reconciliation rather than "influenceable <= total": with credit notes
-- the excluded part can net negative. Rows returned = failures.
with

local_spend as (

    select * from {{ ref('fct_local_spend_share') }}
    where period_grain = 'year' and spend_scope = 'influenceable'

),

reference_wide as (

    select
        anchor_code,
        cast(year as integer) as year,
        sum(spend_eur) as spend,
        sum(spend_eur) filter (where tier = 'nieuw_west') as nieuw_west,
        sum(spend_eur) filter (where tier in ('nieuw_west', 'rest_of_amsterdam')) as amsterdam,
        sum(spend_eur) filter (
            where tier in ('rest_of_amsterdam', 'rest_of_mra', 'rest_of_netherlands', 'abroad')
        ) as leaving_nieuw_west,
        sum(spend_eur) filter (where tier in ('rest_of_mra', 'rest_of_netherlands', 'abroad'))
            as leaving_amsterdam,
        sum(spend_eur) filter (where tier = 'unknown') as unknown_place
    from local_spend
    group by anchor_code, year

),

reference as (

    unpivot reference_wide
    on spend, nieuw_west, amsterdam, leaving_nieuw_west, leaving_amsterdam, unknown_place
    into name measure value amount

),

recipient_groups as (

    select
        'fct_spend_by_recipient_group/' || dimension as part,
        anchor_code,
        year,
        sum(influenceable_spend_eur) as spend,
        sum(influenceable_spend_nieuw_west_eur) as nieuw_west,
        sum(influenceable_spend_amsterdam_eur) as amsterdam
    from {{ ref('fct_spend_by_recipient_group') }}
    group by dimension, anchor_code, year

),

leakage as (

    select
        'fct_sector_leakage/' || sector_scheme as part,
        anchor_code,
        year,
        sum(influenceable_spend_eur) as spend,
        sum(influenceable_spend_nieuw_west_eur) as nieuw_west,
        sum(influenceable_spend_leaving_nieuw_west_eur) as leaving_nieuw_west,
        sum(influenceable_spend_leaving_amsterdam_eur) as leaving_amsterdam,
        sum(influenceable_spend_unknown_place_eur) as unknown_place
    from {{ ref('fct_sector_leakage') }}
    group by sector_scheme, anchor_code, year

),

suppliers as (

    select
        'int_suppliers_by_anchor_year' as part,
        anchor_code,
        invoice_year as year,
        sum(influenceable_spend_eur) as spend,
        sum(influenceable_spend_nieuw_west_eur) as nieuw_west
    from {{ ref('int_suppliers_by_anchor_year') }}
    group by anchor_code, invoice_year

),

parts as (

    select part, anchor_code, year, measure, amount
    from (unpivot recipient_groups on spend, nieuw_west, amsterdam into name measure value amount)
    union all
    select part, anchor_code, year, measure, amount
    from (
        unpivot leakage
        on spend, nieuw_west, leaving_nieuw_west, leaving_amsterdam, unknown_place
        into name measure value amount
    )
    union all
    select part, anchor_code, year, measure, amount
    from (unpivot suppliers on spend, nieuw_west into name measure value amount)

),

-- every part x measure it carries, for every anchor-year of the reference
expected as (

    select part_measures.part, reference.*
    from reference
    inner join (select distinct part, measure from parts) as part_measures
        on reference.measure = part_measures.measure

)

select
    coalesce(parts.part, expected.part) as part,
    coalesce(parts.anchor_code, expected.anchor_code) as anchor_code,
    coalesce(parts.year, expected.year) as year,
    coalesce(parts.measure, expected.measure) as measure,
    parts.amount as mart_amount,
    expected.amount as local_spend_share_amount
from parts
full outer join expected
    on parts.part = expected.part
    and parts.anchor_code = expected.anchor_code
    and parts.year = expected.year
    and parts.measure = expected.measure
where coalesce(parts.amount, 0) <> coalesce(expected.amount, 0)
