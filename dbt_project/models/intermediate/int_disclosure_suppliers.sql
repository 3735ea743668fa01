-- Disclosure control, step 1 (docs/architecture.md, "Privacy"): per anchor x year x supplier, is its money
-- protected, and is its amount already public?
--   is_protected  = the supplier is, or may be, a natural person (int_suppliers_by_anchor_year
--                   .is_natural_person: eenmanszaak, VOF, maatschap, CV, unknown legal form, or a creditor
--                   without establishment whose name has no legal-entity marker). Its income from an anchor
--                   must not be derivable from any published figure.
--   is_published  = a legal entity whose anchor-year amounts the outputs show one by one, so that an
--                   attacker can subtract them from any published total:
--                     - in the CLES top list (non_local_rank <= var top_suppliers_per_anchor_year);
--                     - a listed social enterprise (fct_spend_with_social_enterprises);
--                     - a registered co-operative of the programme register (fct_cooperative_income);
--                     - a shared supplier (fct_shared_suppliers shows its sum over the anchors of a year)
--                       whose amounts at all its other anchors that year are published: the sum minus
--                       those gives this one.
--                   Protected suppliers are never published one by one (their rows in those marts are
--                   suppressed), so is_published is FALSE for them.
with

suppliers as (

    select * from {{ ref('int_suppliers_by_anchor_year') }}

),

registered_cooperatives as (

    select distinct kvk_number
    from {{ ref('stg_programme__initiatives') }}
    where kvk_number is not null

),

direct as (

    select
        suppliers.anchor_code,
        suppliers.invoice_year,
        suppliers.supplier_key,
        suppliers.organisation_kvk_number,
        suppliers.is_natural_person as is_protected,
        not suppliers.is_natural_person and (
            coalesce(suppliers.non_local_rank <= {{ var('top_suppliers_per_anchor_year', 300) }}, false)
            or suppliers.is_social_enterprise
            or coops.kvk_number is not null
        ) as is_published_directly
    from suppliers
    left join registered_cooperatives as coops
        on suppliers.organisation_kvk_number = coops.kvk_number

),

-- fct_shared_suppliers: organisations (KvK number known) paid by two or more anchors in a year.
shared as (

    select
        invoice_year,
        supplier_key,
        count(*) filter (where not is_published_directly) as n_anchors_not_published
    from direct
    where organisation_kvk_number is not null
    group by invoice_year, supplier_key
    having count(distinct anchor_code) >= 2

),

final as (

    select
        direct.anchor_code,
        direct.invoice_year,
        direct.supplier_key,
        direct.is_protected,
        direct.is_published_directly
        or (not direct.is_protected and coalesce(shared.n_anchors_not_published, 2) <= 1) as is_published
    from direct
    left join shared
        on direct.invoice_year = shared.invoice_year
        and direct.supplier_key = shared.supplier_key

)

select * from final
