-- The largest creditors whose spend is not placed at an establishment: where improving the data pays
-- off most. No names (a sole trader's name is personal data) and no KvK, vestigings- or VAT numbers:
-- the creditor is identified by the anchor's own creditor number, the identifiers by whether its lines
-- carried them; names are in resolution.supplier_matches for the analysts (as fct_supplier_review_queue).
-- Grain: one row per anchor x creditor (supplier_ref) that is unresolved, all years together.
-- Privacy (docs/architecture.md, "Privacy"): a creditor that is, or may be, a natural person (any of its
-- lines' suppliers; a creditor not found counts as one) has its euro figures withheld in publications:
-- is_suppressed, suppression_reason `natural_person`; the published rank_in_anchor counts only the rows
-- whose figures are shown (no gap reveals where a withheld creditor stood). The figures here stay exact.
-- A creditor is unresolved when supplier resolution did not auto-accept it (status review or
-- unresolved, or no resolution row), or when any of its lines ended in tier `unknown`.
--   spend_eur             = sum(amount_excl_vat) of all its lines, credit notes netted;
--   unknown_tier_eur      = of which on lines in tier unknown;
--   share_of_anchor_spend = spend_eur / the anchor's spend_eur over all creditors and years;
--   has_<field>           = at least one of its lines carried the field;
--   n_candidates          = establishments supplier resolution proposed (JSON list length, 0 if none);
--   rank_in_anchor        = 1 for the largest spend_eur of the anchor (ties by supplier_ref).
with

supplier_years as (

    select * from {{ ref('int_supplier_years_aggregated') }}

),

creditors as (

    -- a creditor is protected when any of its lines' suppliers is, or may be, a natural person
    select anchor_code, supplier_ref, bool_or(is_natural_person) as is_natural_person
    from {{ ref('int_invoice_lines_classified') }}
    group by anchor_code, supplier_ref

),

matches as (

    select * from {{ ref('stg_resolution__supplier_matches') }}

),

suppliers as (

    select
        anchor_code,
        supplier_ref,
        sum(n_lines) as n_lines,
        cast(sum(spend_eur) as decimal(18, 2)) as spend_eur,
        cast(sum(unknown_tier_eur) as decimal(18, 2)) as unknown_tier_eur,
        sum(n_lines_unknown_tier) as n_lines_unknown_tier,
        sum(n_lines_with_postcode) > 0 as has_postcode,
        sum(n_lines_with_kvk_number) > 0 as has_kvk_number,
        sum(n_lines_with_vestigingsnummer) > 0 as has_vestigingsnummer,
        sum(n_lines_with_vat_number) > 0 as has_vat_number,
        sum(n_lines_with_iban) > 0 as has_iban
    from supplier_years
    group by anchor_code, supplier_ref

),

with_share as (

    select
        *,
        cast(spend_eur as double)
        / nullif(cast(sum(spend_eur) over (partition by anchor_code) as double), 0) as share_of_anchor_spend
    from suppliers

),

unresolved as (

    select
        s.anchor_code,
        s.supplier_ref,
        cast(s.n_lines as bigint) as n_lines,
        s.spend_eur,
        s.unknown_tier_eur,
        cast(s.n_lines_unknown_tier as bigint) as n_lines_unknown_tier,
        s.share_of_anchor_spend,
        s.has_postcode,
        s.has_kvk_number,
        s.has_vestigingsnummer,
        s.has_vat_number,
        s.has_iban,
        coalesce(m.resolution_status, 'not_in_resolution') as resolution_status,
        m.resolution_method,
        m.confidence,
        cast(coalesce(json_array_length(m.candidates), 0) as integer) as n_candidates
    from with_share as s
    left join matches as m
        on s.anchor_code = m.anchor_code
        and s.supplier_ref = m.supplier_ref
    where
        m.resolution_status is distinct from 'auto_accepted'
        or s.n_lines_unknown_tier > 0

),

final as (

    select
        unresolved.*,
        cast(row_number() over (
            partition by unresolved.anchor_code order by unresolved.spend_eur desc, unresolved.supplier_ref
        ) as integer)
            as rank_in_anchor,
        coalesce(creditors.is_natural_person, true) as is_suppressed,
        case when coalesce(creditors.is_natural_person, true) then 'natural_person' end as suppression_reason
    from unresolved
    left join creditors
        on unresolved.anchor_code = creditors.anchor_code
        and unresolved.supplier_ref = creditors.supplier_ref

)

select * from final
