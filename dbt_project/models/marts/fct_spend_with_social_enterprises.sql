-- Spend of each anchor per year with each listed social enterprise (the `social_enterprises` seed,
-- matched on the KvK number of the supplier's organisation). One row per anchor x year x listed
-- organisation that has lines; empty while the seed is empty.
--   spend_eur = sum(amount_excl_vat), credit notes netted
--   share     = spend_eur / the anchor-year's total spend (all suppliers, as in fct_spend_by_tier)
--   influenceable_spend_eur = sum(amount_excl_vat) filter (where is_influenceable)
--   influenceable_share     = influenceable_spend_eur / the anchor-year's influenceable spend (all
--                             suppliers, as fct_local_spend_share's influenceable scope)
-- Tier, sector and legal form group are the supplier's profile (int_suppliers_by_anchor_year).
-- The name is NULL when the owners may be natural persons (privacy rule); no KvK or vestiging
-- numbers leave the intermediate layer: supplier_key is the stable key.
-- Privacy (docs/architecture.md, "Privacy"): a row of a supplier that is, or may be, a natural person is one
-- person's income: is_suppressed (suppression_reason `natural_person`) and publication views withhold its
-- euro figures and shares. The figures here stay exact.
with

suppliers as (

    select * from {{ ref('int_suppliers_by_anchor_year') }}

),

social_enterprises as (

    select * from {{ ref('social_enterprises') }}

),

anchor_years as (

    select
        anchor_code,
        invoice_year,
        sum(spend_eur) as anchor_year_spend_eur,
        sum(influenceable_spend_eur) as anchor_year_influenceable_spend_eur
    from suppliers
    group by anchor_code, invoice_year

),

final as (

    select
        suppliers.anchor_code,
        suppliers.anchor_name,
        suppliers.invoice_year as year,
        suppliers.supplier_key,
        case when not suppliers.is_natural_person then suppliers.organisation_name end as organisation_name,
        suppliers.legal_form_group,
        social.source,
        social.source_note,
        suppliers.tier,
        suppliers.target_sector,
        suppliers.sbi_division_code,
        cast(suppliers.spend_eur as decimal(18, 2)) as spend_eur,
        suppliers.n_lines,
        cast(suppliers.spend_eur as double) / nullif(cast(years.anchor_year_spend_eur as double), 0) as share,
        cast(suppliers.influenceable_spend_eur as decimal(18, 2)) as influenceable_spend_eur,
        cast(suppliers.influenceable_spend_eur as double)
        / nullif(cast(years.anchor_year_influenceable_spend_eur as double), 0) as influenceable_share,
        suppliers.is_natural_person as is_suppressed,
        case when suppliers.is_natural_person then 'natural_person' end as suppression_reason
    from suppliers
    inner join social_enterprises as social
        on suppliers.organisation_kvk_number = social.kvk_number
    left join anchor_years as years
        on suppliers.anchor_code = years.anchor_code
        and suppliers.invoice_year = years.invoice_year

)

select * from final
