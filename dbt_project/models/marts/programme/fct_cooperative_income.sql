-- What each co-operative initiative of the register earns from the anchors: one row per initiative x
-- anchor x year with spend. A line counts when its supplier organisation (the delivering establishment's
-- KvK number, else the KvK number on the line) is the initiative's registered KvK number.
--   spend_eur                = sum(amount_excl_vat), credit notes netted
--   influenceable_spend_eur  = the same over influenceable lines (seed influenceable_rules)
-- Privacy (docs/architecture.md, "Privacy"): an initiative registered under a natural-person or unknown
-- legal form (or a KvK number not in the extract) is a person's income: is_suppressed, suppression_reason
-- `natural_person`, and publication views withhold its euro figures. The figures here stay exact.
with

initiatives as (

    select * from {{ ref('stg_programme__initiatives') }}
    where kvk_number is not null

),

lines as (

    select * from {{ ref('int_invoice_lines_placed') }}

),

registered_forms as (

    select kvk_number, bool_or(is_natural_person) as is_natural_person
    from {{ ref('stg_kvk__establishments') }}
    group by kvk_number

),

final as (

    select
        initiatives.initiative_key,
        lines.anchor_code,
        lines.invoice_year as year,
        cast(sum(lines.amount_excl_vat) as decimal(18, 2)) as spend_eur,
        cast(coalesce(sum(lines.amount_excl_vat) filter (where lines.is_influenceable), 0) as decimal(18, 2))
            as influenceable_spend_eur,
        count(*) as n_lines,
        coalesce(bool_or(forms.is_natural_person), true) as is_suppressed,
        case when coalesce(bool_or(forms.is_natural_person), true) then 'natural_person' end as suppression_reason
    from lines
    inner join initiatives
        on coalesce(lines.organisation_kvk_number, lines.kvk_number) = initiatives.kvk_number
    left join registered_forms as forms
        on initiatives.kvk_number = forms.kvk_number
    group by initiatives.initiative_key, lines.anchor_code, lines.invoice_year

)

select * from final
