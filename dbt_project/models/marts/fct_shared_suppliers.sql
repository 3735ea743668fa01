-- Suppliers several anchors share: organisations (by KvK number) that two or more anchors paid in the
-- same year, the starting point for joint purchasing and joint supplier development. One row per
-- organisation x year with n_anchors >= 2. Creditors without a known KvK number (foreign,
-- unresolved) cannot be matched across anchors and are not listed.
--   n_anchors     = count(distinct anchor_code) with lines to the organisation in the year
--   anchor_codes  = those anchors, sorted, comma-separated
--   spend_eur     = sum(amount_excl_vat) over those anchors, credit notes netted
--   influenceable_spend_eur = sum(amount_excl_vat) filter (where is_influenceable) over those anchors
--   spend_nieuw_west_eur, influenceable_spend_nieuw_west_eur = the same, tier = 'nieuw_west'
--   tier, target_sector, sbi_division_code, legal_form_group, size_class
--                 = the profile of the anchor with the largest spend with it (int_suppliers_by_anchor_year)
-- Privacy: the name is NULL when the owners may be natural persons; no KvK numbers: supplier_key is
-- the stable key (the same as in the other recipient marts).
-- Privacy (docs/architecture.md, "Privacy"): a row of a supplier that is, or may be, a natural person is one
-- person's income: is_suppressed (suppression_reason `natural_person`) and publication views withhold its
-- euro figures and shares. The figures here stay exact.
with

suppliers as (

    select * from {{ ref('int_suppliers_by_anchor_year') }}
    where organisation_kvk_number is not null

),

shared as (

    select
        invoice_year,
        supplier_key,
        count(distinct anchor_code) as n_anchors,
        string_agg(distinct anchor_code, ',' order by anchor_code) as anchor_codes,
        sum(spend_eur) as spend_eur,
        sum(spend_nieuw_west_eur) as spend_nieuw_west_eur,
        sum(influenceable_spend_eur) as influenceable_spend_eur,
        sum(influenceable_spend_nieuw_west_eur) as influenceable_spend_nieuw_west_eur,
        cast(sum(n_lines) as bigint) as n_lines,
        bool_or(is_natural_person) as is_natural_person
    from suppliers
    group by invoice_year, supplier_key
    having count(distinct anchor_code) >= 2

),

profiles as (

    select *
    from suppliers
    qualify row_number() over (
        partition by invoice_year, supplier_key
        order by spend_eur desc, anchor_code
    ) = 1

),

final as (

    select
        shared.invoice_year as year,
        shared.supplier_key,
        case when not profiles.is_natural_person then profiles.organisation_name end as organisation_name,
        profiles.tier,
        profiles.legal_form_group,
        profiles.size_class,
        profiles.target_sector,
        profiles.sbi_division_code,
        profiles.sbi_division_name,
        profiles.is_social_enterprise,
        cast(shared.n_anchors as integer) as n_anchors,
        shared.anchor_codes,
        cast(shared.spend_eur as decimal(18, 2)) as spend_eur,
        cast(shared.spend_nieuw_west_eur as decimal(18, 2)) as spend_nieuw_west_eur,
        cast(shared.influenceable_spend_eur as decimal(18, 2)) as influenceable_spend_eur,
        cast(shared.influenceable_spend_nieuw_west_eur as decimal(18, 2)) as influenceable_spend_nieuw_west_eur,
        shared.n_lines,
        shared.is_natural_person as is_suppressed,
        case when shared.is_natural_person then 'natural_person' end as suppression_reason
    from shared
    inner join profiles
        on shared.invoice_year = profiles.invoice_year
        and shared.supplier_key = profiles.supplier_key

)

select * from final
