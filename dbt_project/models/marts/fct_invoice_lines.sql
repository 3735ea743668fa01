-- A view, not a table: it selects columns of int_invoice_lines_placed (and a tier label), so a table would
-- only copy ten million lines once more on every run (benchmarks/, README "Scale and speed"). Analysts
-- query it like a table; the published snapshot leaves it out (it is not published).
{{ config(materialized='view') }}

-- Line-level fact for drill-down: where each invoice line lands and how it was placed, and which row
-- of which delivered file it is (source_file, source_row: docs/lineage.md traces every mart figure).
-- No supplier names, KvK or vestiging numbers and no free text: sole traders are natural persons,
-- so their names and registration numbers are personal data (AVG/GDPR).
with

invoice_lines as (

    select * from {{ ref('int_invoice_lines_placed') }}

),

geography_tiers as (

    select * from {{ ref('geography_tiers') }}

),

final as (

    select
        lines.invoice_line_key,
        lines.anchor_code,
        lines.anchor_name,
        lines.source_file,
        lines.source_row,
        lines.invoice_id,
        lines.invoice_line,
        lines.invoice_date,
        lines.invoice_year as year,
        lines.supplier_ref,
        lines.amount_excl_vat,
        lines.vat_amount,
        lines.ledger_account,
        lines.cost_centre,
        lines.category,
        lines.is_influenceable,
        lines.exclusion_class,
        lines.influenceable_rule_id,
        lines.tier,
        lines.placement_basis,
        lines.tier_establishment,
        lines.tier_head_office,
        lines.tier_cles,
        tiers.tier_label_nl,
        tiers.tier_order,
        lines.placement_method,
        lines.pc4,
        lines.gemeente_naam,
        lines.stadsdeel_naam,
        lines.is_shared_pc4,
        lines.nieuw_west_address_share,
        lines.legal_form,
        lines.sbi_version,
        lines.sector_code,
        lines.sector_name
    from invoice_lines as lines
    left join geography_tiers as tiers
        on lines.tier = tiers.tier

)

select * from final
