-- What each co-operative initiative of the register earns from the anchors: one row per initiative x
-- anchor x year with spend. A line counts when its supplier organisation (the delivering establishment's
-- KvK number, else the KvK number on the line) is the initiative's registered KvK number.
--   spend_eur                = sum(amount_excl_vat), credit notes netted
--   influenceable_spend_eur  = the same over influenceable lines (seed influenceable_rules)
with

initiatives as (

    select * from {{ ref('stg_programme__initiatives') }}
    where kvk_number is not null

),

lines as (

    select * from {{ ref('int_invoice_lines_placed') }}

),

final as (

    select
        initiatives.initiative_key,
        lines.anchor_code,
        lines.invoice_year as year,
        cast(sum(lines.amount_excl_vat) as decimal(18, 2)) as spend_eur,
        cast(coalesce(sum(lines.amount_excl_vat) filter (where lines.is_influenceable), 0) as decimal(18, 2))
            as influenceable_spend_eur,
        count(*) as n_lines
    from lines
    inner join initiatives
        on coalesce(lines.organisation_kvk_number, lines.kvk_number) = initiatives.kvk_number
    group by all

)

select * from final
