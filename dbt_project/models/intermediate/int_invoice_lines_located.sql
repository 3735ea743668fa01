{{ config(materialized='line_incremental', unique_key='invoice_line_key',
          line_driver='stg_anchors__invoice_lines') }}
-- Each invoice line placed by the rules of docs/architecture.md ("How a line is placed"):
--   1. vestigingsnummer found in the KvK extract: that establishment's postcode;
--   2. kvk_number found: the establishment of that KvK number at the invoice postcode, else its
--      head office;
--   3. supplier country not NL: abroad;
--   4. the invoice's own Dutch postcode;
--   5. otherwise unknown.
-- A rule applies only when it yields a PC4 that is in the reference: an establishment whose address
-- is missing (shielded) or whose PC4 is unknown to the reference falls through to the next rule, and
-- a postcode not in the reference ends in `unknown`. The establishment (and so the sector) stays
-- resolved whichever rule placed the line. Exactly one row per invoice line (tested).
with

-- NOT MATERIALIZED: this CTE is read twice. DuckDB would otherwise write all of it (ten million lines) to a
-- temporary buffer and scan that twice; inlined, each use reads only the columns it needs
-- (README "Scale and speed": 30-34 -> 24-29 s at 10M lines).
invoice_lines as not materialized (

    select * from {{ ref('stg_anchors__invoice_lines') }}
    {{ line_increment_scope() }}

),

establishments_source as (

    select * from {{ ref('stg_kvk__establishments') }}

),

pc4s as (

    select * from {{ ref('int_pc4s_tiered') }}

),

sbi_codes as (

    select * from {{ ref('stg_reference__sbi_codes') }}

),

-- One row per vestigingsnummer even if an extract were delivered twice: the latest wins.
establishments as (

    select *
    from establishments_source
    {{ latest_extract_per_establishment() }}

),

-- Rules 1 and 2 are decided once per distinct key, not per line: rule 1 by the line's vestigingsnummer,
-- rule 2 by its KvK number, normalised postcode and leading house-number digits (all a line's rule-2
-- choice depends on). Lines then take their choice by equality joins, so ten million lines cost two hash
-- joins instead of a window over every line's candidates.
-- Rule 2's keys: the KvK number with the invoice's normalised postcode and leading house-number digits
-- ('' stands for a missing one: both compare false with every establishment, as NULL does).
kvk_keys as (

    select distinct
        kvk_number,
        coalesce(upper(replace(supplier_postcode, ' ', '')), '') as invoice_postcode,
        coalesce(regexp_extract(supplier_house_number, '^[0-9]+'), '') as invoice_house_number
    from invoice_lines
    where kvk_number is not null

),

-- Rule 2: the invoice's kvk_number is in the extract. Candidates are the KvK number's
-- establishments at the invoice postcode and its head office; the one at the invoice postcode wins
-- (a same house number breaks ties between several there), then the head office.
kvk_choices as (

    select
        keys.kvk_number,
        keys.invoice_postcode,
        keys.invoice_house_number,
        est.vestigingsnummer,
        case
            when coalesce(est.postcode = keys.invoice_postcode, false) then 'kvk_number_at_invoice_postcode'
            else 'kvk_number_head_office'
        end as establishment_match
    from kvk_keys as keys
    inner join establishments as est
        on keys.kvk_number = est.kvk_number
    where coalesce(est.postcode = keys.invoice_postcode, false) or est.is_head_office
    qualify row_number() over (
        partition by keys.kvk_number, keys.invoice_postcode, keys.invoice_house_number
        order by
            coalesce(est.postcode = keys.invoice_postcode, false) desc,
            coalesce(cast(est.house_number as varchar) = keys.invoice_house_number, false) desc,
            est.is_head_office desc,
            est.vestigingsnummer
    ) = 1

),

-- Rule 1 (the invoice's vestigingsnummer is in the extract: at most one match, unique above) wins
-- over rule 2.
matched_lines as (

    select
        lines.*,
        coalesce(by_vestigingsnummer.vestigingsnummer, by_kvk.vestigingsnummer) as matched_vestigingsnummer,
        case
            when by_vestigingsnummer.vestigingsnummer is not null then 'vestigingsnummer'
            else by_kvk.establishment_match
        end as establishment_match
    from invoice_lines as lines
    left join establishments as by_vestigingsnummer
        on lines.vestigingsnummer = by_vestigingsnummer.vestigingsnummer
    left join kvk_choices as by_kvk
        on lines.kvk_number = by_kvk.kvk_number
        and coalesce(upper(replace(lines.supplier_postcode, ' ', '')), '') = by_kvk.invoice_postcode
        and coalesce(regexp_extract(lines.supplier_house_number, '^[0-9]+'), '') = by_kvk.invoice_house_number

),

-- Sector = SBI section of the establishment's main activity, looked up in the SBI version of the
-- extract. The section follows from the 2-digit afdeling, so 4- and 5-digit codes both map.
sbi_afdelingen as (

    select sbi_version, sbi_code as afdeling_code, section_code
    from sbi_codes
    where level = 2

),

sbi_sections as (

    select
        sbi_version,
        section_code,
        -- SBI 2025 writes section names in capitals: sentence case for display.
        upper(left(description_nl, 1)) || lower(substr(description_nl, 2)) as section_name
    from sbi_codes
    where level = 1

),

lines_with_establishment as (

    select
        lines.*,
        est.vestigingsnummer as establishment_vestigingsnummer,
        est.kvk_number as establishment_kvk_number,
        est.is_head_office as establishment_is_head_office,
        est.legal_form as establishment_legal_form,
        est_pc4.pc4 as establishment_pc4,
        est.sbi_version,
        est.sbi_main_activity_code,
        sections.section_code as sector_code,
        sections.section_name as sector_name,
        invoice_pc4.pc4 as invoice_pc4
    from matched_lines as lines
    left join establishments as est
        on lines.matched_vestigingsnummer = est.vestigingsnummer
    left join pc4s as est_pc4
        on est.pc4 = est_pc4.pc4
    left join pc4s as invoice_pc4
        on lines.supplier_pc4 = invoice_pc4.pc4
    left join sbi_afdelingen as afdelingen
        on est.sbi_version = afdelingen.sbi_version
        and left(est.sbi_main_activity_code, 2) = afdelingen.afdeling_code
    left join sbi_sections as sections
        on afdelingen.sbi_version = sections.sbi_version
        and afdelingen.section_code = sections.section_code

),

placed as (

    select
        *,
        case
            when establishment_pc4 is not null then establishment_match
            when upper(supplier_country) <> 'NL' then 'abroad'
            when invoice_pc4 is not null then 'invoice_postcode'
            else 'unknown'
        end as placement_method
    from lines_with_establishment

),

located as (

    select
        placed.*,
        case
            when placed.placement_method in (
                'vestigingsnummer', 'kvk_number_at_invoice_postcode', 'kvk_number_head_office'
            ) then placed.establishment_pc4
            when placed.placement_method = 'invoice_postcode' then placed.invoice_pc4
        end as pc4
    from placed

),

final as (

    select
        located.invoice_line_key,
        located.anchor_code,
        located.anchor_name,
        -- where the line comes from (raw.invoice_lines, raw.deliveries): the audit trail of every figure
        located.source_file,
        located.source_row,
        located.invoice_id,
        located.invoice_line,
        located.invoice_date,
        cast(extract(year from located.invoice_date) as integer) as invoice_year,
        located.supplier_ref,
        located.kvk_number,
        located.vestigingsnummer as invoice_vestigingsnummer,
        located.supplier_country,
        located.supplier_pc4 as invoice_pc4,
        located.amount_excl_vat,
        located.vat_amount,
        located.ledger_account,
        located.cost_centre,
        located.category,
        located.cpv_code,

        located.establishment_match,
        located.establishment_vestigingsnummer as vestigingsnummer,
        located.establishment_kvk_number,
        located.establishment_is_head_office,
        located.establishment_legal_form as legal_form,

        located.placement_method,
        located.pc4,
        pc4s.gemeente_code,
        pc4s.gemeente_naam,
        pc4s.stadsdeel_code,
        pc4s.stadsdeel_naam,
        case
            when located.placement_method = 'abroad' then 'abroad'
            when located.placement_method = 'unknown' then 'unknown'
            else pc4s.tier
        end as tier,
        pc4s.is_shared_pc4,
        pc4s.nieuw_west_address_share,

        located.sbi_version,
        located.sbi_main_activity_code,
        located.sector_code,
        located.sector_name
    from located
    left join pc4s
        on located.pc4 = pc4s.pc4

)

select * from final
