-- The CLES "top 300" view: per anchor and year, its largest suppliers that are not local, ranked by
-- influenceable spend. One row per anchor x year x supplier, rank 1..N (dbt var
-- `top_suppliers_per_anchor_year`, default 300). A supplier is the organisation (KvK number) when an
-- establishment is known, else the anchor's creditor (foreign and unresolved suppliers); it is
-- non-local when its tier (the tier of its lines with the largest spend; one tier per organisation
-- under the CLES basis) is not nieuw_west.
-- Ranked by influenceable spend, not total spend: the list is a procurement opportunity list, and a
-- pension fund, the tax office or a subsidy recipient is no procurement opportunity (their lines are
-- not influenceable, int_invoice_lines_placed.is_influenceable). Suppliers whose influenceable spend
-- nets to zero or less are not ranked; total spend stays a column.
--   influenceable_spend_eur = sum(amount_excl_vat) filter (where is_influenceable) of the supplier's
--                 lines in the anchor-year, credit notes netted
--   spend_eur   = sum(amount_excl_vat) of all its lines in the anchor-year (total spend)
--   rank        = row_number() over (anchor, year order by influenceable_spend_eur desc, supplier_key)
--   influenceable_share = influenceable_spend_eur / the anchor-year's influenceable spend (all
--                 suppliers)
--   share       = spend_eur / the anchor-year's total spend (all suppliers)
--   n_nieuw_west_establishments_same_division
--               = establishments in Nieuw-West (own address) of other organisations whose main or a
--                 side activity is in the supplier's SBI 2025 division (NULL when the division is
--                 unknown); _same_target_sector likewise for its target sector (NULL for other and
--                 unknown)
-- Privacy: the name is NULL when the owners may be natural persons or the legal form is unknown
-- (foreign creditors included); no KvK numbers: supplier_key and supplier_refs (the anchor's own
-- creditor numbers) identify the supplier.
-- Privacy (docs/architecture.md, "Privacy"): a row of a supplier that is, or may be, a natural person is one
-- person's income: is_suppressed (suppression_reason `natural_person`) and publication views withhold its
-- euro figures and shares, and its rank (the published rank counts only the rows shown, so no
-- gap reveals where a withheld supplier stood). The figures here stay exact.
with

suppliers as (

    select * from {{ ref('int_suppliers_by_anchor_year') }}

),

nieuw_west_establishments as (

    select * from {{ ref('fct_nieuw_west_establishments_by_sector') }}

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

ranked as (

    select
        *,
        non_local_rank as supplier_rank
    from suppliers
    where non_local_rank <= {{ var('top_suppliers_per_anchor_year', 300) }}

),

same_division as (

    select
        ranked.anchor_code,
        ranked.invoice_year,
        ranked.supplier_key,
        count(nw.establishment_key) as n_establishments
    from ranked
    inner join nieuw_west_establishments as nw
        on nw.sector_scheme = 'sbi_division'
        and nw.sector_code = ranked.sbi_division_code
        and nw.supplier_key <> ranked.supplier_key
    group by all

),

same_target_sector as (

    select
        ranked.anchor_code,
        ranked.invoice_year,
        ranked.supplier_key,
        count(nw.establishment_key) as n_establishments
    from ranked
    inner join nieuw_west_establishments as nw
        on nw.sector_scheme = 'target_sector'
        and nw.sector_code = ranked.target_sector
        and nw.supplier_key <> ranked.supplier_key
    group by all

),

final as (

    select
        ranked.anchor_code,
        ranked.anchor_name,
        ranked.invoice_year as year,
        cast(ranked.supplier_rank as integer) as supplier_rank,
        ranked.supplier_key,
        case when not ranked.is_natural_person then ranked.organisation_name end as organisation_name,
        ranked.supplier_refs,
        ranked.tier,
        ranked.legal_form_group,
        ranked.size_class,
        ranked.target_sector,
        ranked.sbi_section_code,
        ranked.sbi_division_code,
        ranked.sbi_division_name,
        cast(ranked.influenceable_spend_eur as decimal(18, 2)) as influenceable_spend_eur,
        cast(ranked.spend_eur as decimal(18, 2)) as spend_eur,
        ranked.influenceable_n_lines,
        ranked.n_lines,
        cast(ranked.influenceable_spend_eur as double)
        / nullif(cast(years.anchor_year_influenceable_spend_eur as double), 0) as influenceable_share,
        cast(ranked.spend_eur as double) / nullif(cast(years.anchor_year_spend_eur as double), 0) as share,
        case
            when ranked.sbi_division_code is not null then coalesce(division.n_establishments, 0)
        end as n_nieuw_west_establishments_same_division,
        case
            when ranked.target_sector not in ('other', 'unknown') then coalesce(sector.n_establishments, 0)
        end as n_nieuw_west_establishments_same_target_sector,
        ranked.is_natural_person as is_suppressed,
        case when ranked.is_natural_person then 'natural_person' end as suppression_reason
    from ranked
    left join anchor_years as years
        on ranked.anchor_code = years.anchor_code
        and ranked.invoice_year = years.invoice_year
    left join same_division as division
        on ranked.anchor_code = division.anchor_code
        and ranked.invoice_year = division.invoice_year
        and ranked.supplier_key = division.supplier_key
    left join same_target_sector as sector
        on ranked.anchor_code = sector.anchor_code
        and ranked.invoice_year = sector.invoice_year
        and ranked.supplier_key = sector.supplier_key

)

select * from final
