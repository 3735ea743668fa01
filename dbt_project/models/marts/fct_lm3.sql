-- Local Multiplier 3 (NEF, "The Money Trail", 2002) per anchor and year, for Nieuw-West:
--   round 1 = all spend of the anchor (excl. VAT, credit notes netted)
--   round 2 = the part spent with suppliers in Nieuw-West (tier nieuw_west on the placement basis)
--   round 3 = the part of round 2 that those suppliers re-spend locally: per line, its amount times the
--             re-spend share of its supplier from the survey input (seed lm3_respend, scope 'supplier',
--             key = supplier_ref, for this anchor or '*'), else the share for its tier (scope 'tier')
--   lm3     = (round 1 + round 2 + round 3) / round 1, between 1 and 3
-- Staff wages are not in accounts-payable data; round 2 here is supplier spend only.
-- Disclosure control (docs/architecture.md, "Privacy"): round 2 is the anchor-year's Nieuw-West spend and
-- round 1 its total, the units `tier|anchor|year|<year>|nieuw_west` and `...|*` of int_disclosure_decisions.
--   is_suppressed = either is withheld: round1_eur, round2_eur, round3_eur and lm3 are withheld in
--                   publications (round 3 and LM3 follow from round 2).
with

lines as (

    select * from {{ ref('int_invoice_lines_placed') }}

),

respend as (

    select * from {{ ref('lm3_respend') }}

),

-- The re-spend share depends only on the anchor, the creditor and the tier: decided once per distinct
-- combination, then joined to the lines (no grouping over every line).
shares as (

    select
        keys.anchor_code,
        keys.supplier_ref,
        keys.tier,
        coalesce(
            max(supplier_share.respend_share),
            max(tier_share.respend_share),
            0
        ) as respend_share
    from (select distinct anchor_code, supplier_ref, tier from lines) as keys
    left join respend as supplier_share
        on supplier_share.scope = 'supplier'
        and supplier_share.key = keys.supplier_ref
        and supplier_share.anchor_code in (keys.anchor_code, '*')
    left join respend as tier_share
        on tier_share.scope = 'tier'
        and tier_share.key = keys.tier
        and tier_share.anchor_code in (keys.anchor_code, '*')
    group by keys.anchor_code, keys.supplier_ref, keys.tier

),

per_line as (

    select
        lines.anchor_code,
        lines.invoice_year as year,
        lines.amount_excl_vat,
        lines.tier = 'nieuw_west' as is_local,
        shares.respend_share
    from lines
    inner join shares
        on lines.anchor_code = shares.anchor_code
        and lines.supplier_ref is not distinct from shares.supplier_ref
        and lines.tier is not distinct from shares.tier

),

decisions as (

    select * from {{ ref('int_disclosure_decisions') }}
    where family = 'tier'

),

rounds as (

    select
        anchor_code,
        year,
        cast(sum(amount_excl_vat) as decimal(18, 2)) as round1_eur,
        cast(coalesce(sum(amount_excl_vat) filter (where is_local), 0) as decimal(18, 2)) as round2_eur,
        cast(coalesce(sum(amount_excl_vat * respend_share) filter (where is_local), 0) as decimal(18, 2))
            as round3_eur
    from per_line
    group by anchor_code, year

)

select
    rounds.*,
    round(cast(round1_eur + round2_eur + round3_eur as double) / nullif(cast(round1_eur as double), 0), 12)
        as lm3,
    '{{ var("metric_definition_version") }}' as metric_definition_version,
    {{ disclosure_is_suppressed('local') }} or {{ disclosure_is_suppressed('year_total') }} as is_suppressed,
    coalesce({{ disclosure_reason('local') }}, {{ disclosure_reason('year_total') }}) as suppression_reason
from rounds
left join decisions as local
    on local.unit_id = {{ disclosure_unit('tier', ['rounds.anchor_code', "'year'", 'rounds.year', "'nieuw_west'"]) }}
left join decisions as year_total
    on year_total.unit_id = {{ disclosure_unit('tier', ['rounds.anchor_code', "'year'", 'rounds.year', "'*'"]) }}
