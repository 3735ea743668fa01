{{ config(materialized='line_incremental', unique_key='invoice_line_key',
          line_driver='int_invoice_lines_placed', creditor_fingerprint=true) }}
-- One row per invoice line (int_invoice_lines_placed) with who receives the money: the supplier's
-- legal form group, size class, SBI 2025 section and division (one view over SBI 2008 and 2025),
-- target sector and whether it is a listed social enterprise, and whether the line is influenceable
-- (is_influenceable: passed through from int_invoice_lines_placed). The supplier is the delivering
-- establishment of int_invoice_lines_placed (`vestigingsnummer`: named on the line, or found by
-- supplier resolution, also when its address cannot be placed); its attributes come from
-- int_establishments_classified. The line's own columns that this model does not use or change
-- (exclusion_class, placement method and basis, legal form, SBI code, CPV code) stay in
-- int_invoice_lines_placed, joined on invoice_line_key: copying seven columns of ten million lines took
-- a quarter of this model's time (19.9 -> 15.3 s at 10M; benchmarks/, README "Scale and speed").
--   supplier_key       = keyed_key('organisation' | KvK number) when an establishment is known, else
--                        keyed_key('creditor' | anchor_code | supplier_ref): a stable key that names nobody
--                        and, keyed with the project salt, cannot be reversed to a KvK number;
--   legal_form_group   = the establishment's group; without an establishment `foreign` when the line
--                        was placed abroad (supplier country not NL), else `unknown`;
--   is_natural_person  = the supplier is, or may be, a natural person (privacy, docs/architecture.md):
--                        TRUE when the creditor's name says so (vof, cv, maatschap, eenmanszaak:
--                        stg_resolution__supplier_matches.privacy_basis = natural_person_marker); else the
--                        establishment's legal form (natural-person or unknown form: TRUE); without an
--                        establishment the creditor's class in stg_resolution__supplier_matches (TRUE
--                        unless its name carries a legal-entity marker), TRUE when not found;
--   target_sector      = the sector of the establishment's main SBI activity (`target_sector_basis`
--                        = sbi); when no establishment or activity is known, the sector of the line's
--                        CPV code (longest matching cpv prefix of `target_sector_codes`, else
--                        `other`; basis = cpv); else `unknown` (basis = none). The supplier's
--                        activity wins over the CPV code: the marts ask who receives the money.
with

-- NOT MATERIALIZED: see with_cpv.
lines as not materialized (

    select * from {{ ref('int_invoice_lines_placed') }}
    {{ line_increment_scope() }}

),

-- The keyed keys are computed once per establishment and per creditor, not once per line: sha256 on
-- ten million lines took 7.5 of the 14 s this query needs on its own (benchmarks/, README "Scale and speed").
establishments as (

    select
        *,
        {{ keyed_key(["'organisation'", 'kvk_number']) }} as organisation_key
    from {{ ref('int_establishments_classified') }}

),

creditors as (

    select
        anchor_code,
        supplier_ref,
        is_natural_person,
        privacy_basis,
        {{ keyed_key(["'creditor'", 'anchor_code', 'supplier_ref']) }} as creditor_key
    from {{ ref('stg_resolution__supplier_matches') }}

),

cpv_sector_codes as (

    select code_prefix, target_sector
    from {{ ref('target_sector_codes') }}
    where code_system = 'cpv'

),

-- NOT MATERIALIZED: read twice (the distinct CPV codes, and the lines). DuckDB would otherwise write all of
-- it (ten million lines with every column) to a temporary buffer, spilled to disk under the memory limit
-- (README "Scale and speed": the query alone 7.1 -> 3.3 s at 10M lines).
with_cpv as not materialized (

    select
        lines.*,
        -- the 8 digits without the check digit
        left(replace(lines.cpv_code, ' ', ''), 8) as cpv_digits
    from lines

),

-- The target sector per distinct CPV code (the longest matching prefix), joined to the lines after.
cpv_sectors as (

    select
        lines.cpv_digits,
        codes.target_sector
    from (select distinct cpv_digits from with_cpv where cpv_digits is not null) as lines
    inner join cpv_sector_codes as codes
        on starts_with(lines.cpv_digits, codes.code_prefix)
    qualify row_number() over (
        partition by lines.cpv_digits
        order by length(codes.code_prefix) desc
    ) = 1

),

classified as (

    select
        lines.invoice_line_key,
        lines.anchor_code,
        lines.anchor_name,
        lines.invoice_year,
        lines.invoice_date,
        lines.supplier_ref,
        lines.amount_excl_vat,
        lines.is_influenceable,
        lines.tier,
        est.vestigingsnummer,
        est.kvk_number as organisation_kvk_number,
        case
            when est.kvk_number is not null then est.organisation_key
            -- the same key as creditors.creditor_key: the join matched on both columns
            when creditors.creditor_key is not null then creditors.creditor_key
            else {{ keyed_key(["'creditor'", 'lines.anchor_code', 'lines.supplier_ref']) }}
        end as supplier_key,
        case
            when est.vestigingsnummer is not null then est.legal_form_group
            when lines.placement_method = 'abroad' then 'foreign'
            else 'unknown'
        end as legal_form_group,
        case
            when creditors.privacy_basis = 'natural_person_marker' then true
            when est.vestigingsnummer is not null then est.is_natural_person
            else coalesce(creditors.is_natural_person, true)
        end as is_natural_person,
        est.organisation_name,
        est.organisation_n_employees,
        coalesce(est.size_class, 'unknown') as size_class,
        coalesce(est.is_social_enterprise, false) as is_social_enterprise,
        est.sbi_section_code,
        est.sbi_section_name,
        est.sbi_division_code,
        est.sbi_division_name,
        est.sbi_correspondence,
        nullif(est.target_sector, 'unknown') as target_sector_sbi,
        case when lines.cpv_digits is not null then coalesce(cpv.target_sector, 'other') end as target_sector_cpv
    from with_cpv as lines
    left join establishments as est
        on lines.vestigingsnummer = est.vestigingsnummer
    left join cpv_sectors as cpv
        on lines.cpv_digits = cpv.cpv_digits
    left join creditors
        on lines.anchor_code = creditors.anchor_code
        and lines.supplier_ref = creditors.supplier_ref

),

final as (

    select
        *,
        coalesce(target_sector_sbi, target_sector_cpv, 'unknown') as target_sector,
        case
            when target_sector_sbi is not null then 'sbi'
            when target_sector_cpv is not null then 'cpv'
            else 'none'
        end as target_sector_basis
    from classified

)

select * from final
