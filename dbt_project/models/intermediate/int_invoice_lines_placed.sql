{{ config(materialized='line_incremental', unique_key='invoice_line_key',
          line_driver='stg_anchors__invoice_lines', creditor_fingerprint=true) }}
-- Each invoice line placed, in two steps (docs/architecture.md, "How a line is placed"):
--
-- Step 1, the establishment and place the line itself names (the placement_rules doc):
--   1. vestigingsnummer found in the KvK extract: that establishment's postcode;
--   2. kvk_number found: the establishment of that KvK number at the invoice postcode, else its
--      head office;
--   3. supplier country not NL: abroad;
--   4. the invoice's own Dutch postcode;
--   5. otherwise unknown.
-- A rule applies only when it yields a PC4 that is in the reference: an establishment whose address
-- is missing (shielded) or whose PC4 is unknown to the reference falls through to the next rule, and
-- a postcode not in the reference ends in `unknown`. The establishment (and so the sector) stays
-- resolved whichever rule placed the line.
--
-- Step 2, the tier by the configured placement basis (var `placement_basis`):
--   cles (default)  the organisation counts as local where it is based or branched: the most local
--                   tier among all establishments of its KvK number (CLES, "based or branched");
--   establishment   the delivering establishment decides;
--   head_office     the organisation's head office decides.
-- The delivering establishment is the one the line itself names (step 1: vestigingsnummer or KvK
-- number) or, when it names none, the creditor's establishment found by supplier resolution
-- (auto-accepted or an analyst's override). Lines without an establishment keep their step-1
-- placement (abroad, invoice postcode, unknown). All three tiers are kept, so the basis can be
-- compared; `tier` is the chosen one.
-- Who the supplier is does not depend on whether its address can be placed: vestigingsnummer,
-- organisation_kvk_number, legal_form, sbi_version, sbi_main_activity_code and sector_code/_name
-- (SBI section of the main activity, in the SBI version of the extract) are those of the establishment
-- that placed the line; else of the establishment the line names; else of the resolved establishment,
-- even when its address cannot be placed (the line then keeps its step-1 placement_method, pc4 and tier).
--
-- The two steps were two tables (step 1 was int_invoice_lines_located) until one query replaced them:
-- writing ten million lines once instead of twice (README "Scale and speed"). Exactly one row per
-- invoice line (tested).
--
-- Influenceable spend (seed influenceable_rules): a line is NOT influenceable when a rule for its
-- anchor (or for all anchors, '*') matches it. The most specific rule decides:
--   1 supplier_kvk_number    the supplier organisation's KvK number
--   2 ledger_account         the ledger account, exactly
--   3 ledger_account_prefix  the ledger account starts with the value (the longest prefix first)
--   4 category               the anchor's purchasing category (case and outer spaces ignored)
--   5 supplier_legal_form    the delivering establishment's legal form (KvK rechtsvorm label)
-- and within a level an anchor's own rule before a rule for all anchors, then the lowest rule_id.
-- A rule with exclusion_class `influenceable` keeps matching lines in (an exception to a broader
-- rule). One row per invoice line.
with

-- NOT MATERIALIZED: this CTE is read twice. DuckDB would otherwise write all of it (ten million lines) to a
-- temporary buffer and scan that twice; inlined, each use reads only the columns it needs
-- (README "Scale and speed": 30-34 -> 24-29 s at 10M lines).
invoice_lines as not materialized (

    select * from {{ ref('stg_anchors__invoice_lines') }}
    {{ line_increment_scope() }}

),

matches as (

    select anchor_code, supplier_ref, vestigingsnummer, resolution_method
    from {{ ref('stg_resolution__supplier_matches') }}
    where resolution_status = 'auto_accepted' and vestigingsnummer is not null

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

-- SBI section (and its name, sentence case) of each 2-digit afdeling per SBI version: the sector of
-- an establishment's main activity: for the establishment a line names (step 1) and the delivering one (step 2).
sbi_sectors as (

    select
        afdelingen.sbi_version,
        afdelingen.sbi_code as afdeling_code,
        sections.section_code as sector_code,
        upper(left(sections.description_nl, 1)) || lower(substr(sections.description_nl, 2)) as sector_name
    from sbi_codes as afdelingen
    inner join sbi_codes as sections
        on afdelingen.sbi_version = sections.sbi_version
        and afdelingen.section_code = sections.section_code
        and sections.level = 1
    where afdelingen.level = 2

),

geography_tiers as (

    select * from {{ ref('geography_tiers') }}

),

influenceable_rules as (

    select
        rule_id,
        anchor_code,
        match_field,
        trim(match_value) as match_value,
        exclusion_class,
        case match_field
            when 'supplier_kvk_number' then 1
            when 'ledger_account' then 2
            when 'ledger_account_prefix' then 3
            when 'category' then 4
            when 'supplier_legal_form' then 5
        end as rule_level
    from {{ ref('influenceable_rules') }}

),

-- One row per vestigingsnummer (the latest extract wins, even if an extract were delivered twice), with
-- the tier of its own address and the sector of its main activity.
establishments as (

    select
        est.vestigingsnummer,
        est.kvk_number,
        est.is_head_office,
        est.legal_form,
        est.sbi_version,
        est.sbi_main_activity_code,
        sectors.sector_code,
        sectors.sector_name,
        est.postcode,
        est.house_number,
        est.pc4,
        pc4s.tier,
        tiers.tier_order
    from establishments_source as est
    left join pc4s
        on est.pc4 = pc4s.pc4
    left join geography_tiers as tiers
        on pc4s.tier = tiers.tier
    left join sbi_sectors as sectors
        on est.sbi_version = sectors.sbi_version
        and left(est.sbi_main_activity_code, 2) = sectors.afdeling_code
    {{ latest_extract_per_establishment('est') }}

),

-- Per organisation: the most local tier of any of its establishments, and its head office's tier.
organisations as (

    select
        kvk_number,
        arg_min(tier, tier_order) filter (where tier is not null) as tier_based_or_branched,
        max(tier) filter (where is_head_office) as tier_head_office
    from establishments
    group by kvk_number

),

-- Step 1 ----------------------------------------------------------------------------------------------

-- Rules 1 and 2 are decided by equality joins, not by a window over every line's candidates: rule 1 by
-- the line's vestigingsnummer, rule 2 by its KvK number, normalised postcode and leading house-number
-- digits (all a line's rule-2 choice depends on).
-- Rule 2: the invoice's kvk_number is in the extract. Candidates are the KvK number's establishments at
-- the invoice postcode and its head office; one at the invoice postcode wins (one at the invoice's house
-- number first, then the head office, then the lowest vestigingsnummer), else the head office (one at
-- the invoice's house number first, then the lowest vestigingsnummer, should the extract hold several).
-- The four lookups below are that order, each built from the register alone: a few thousand rows that
-- DuckDB sees as small. (One lookup of the choices per distinct key of the lines did the same, but DuckDB
-- estimated its size from the ten million lines and, in the plan of rule_keys below, which reads few
-- columns, built its hash table on the lines instead: at 10M lines 11.1 of the query's 14.2 s, now 8.5 s
-- in all; README "Scale and speed".)
kvk_at_postcode_and_house as (

    select kvk_number, postcode, cast(house_number as varchar) as house_number, vestigingsnummer
    from establishments
    where kvk_number is not null and postcode is not null and house_number is not null
    qualify row_number() over (
        partition by kvk_number, postcode, cast(house_number as varchar)
        order by is_head_office desc, vestigingsnummer
    ) = 1

),

kvk_at_postcode as (

    select kvk_number, postcode, vestigingsnummer
    from establishments
    where kvk_number is not null and postcode is not null
    qualify row_number() over (
        partition by kvk_number, postcode
        order by is_head_office desc, vestigingsnummer
    ) = 1

),

kvk_head_office_at_house as (

    select kvk_number, cast(house_number as varchar) as house_number, vestigingsnummer
    from establishments
    where kvk_number is not null and is_head_office and house_number is not null
    qualify row_number() over (
        partition by kvk_number, cast(house_number as varchar)
        order by vestigingsnummer
    ) = 1

),

kvk_head_office as (

    select kvk_number, vestigingsnummer
    from establishments
    where kvk_number is not null and is_head_office
    qualify row_number() over (partition by kvk_number order by vestigingsnummer) = 1

),

-- Rule 1 (the invoice's vestigingsnummer is in the extract: at most one match, unique above) wins
-- over rule 2.
matched_lines as not materialized (

    select
        lines.*,
        coalesce(
            by_vestigingsnummer.vestigingsnummer,
            at_house.vestigingsnummer,
            at_postcode.vestigingsnummer,
            head_office_at_house.vestigingsnummer,
            head_office.vestigingsnummer
        ) as matched_vestigingsnummer,
        case
            when by_vestigingsnummer.vestigingsnummer is not null then 'vestigingsnummer'
            when at_postcode.vestigingsnummer is not null then 'kvk_number_at_invoice_postcode'
            when head_office.vestigingsnummer is not null then 'kvk_number_head_office'
        end as establishment_match
    from invoice_lines as lines
    left join establishments as by_vestigingsnummer
        on lines.vestigingsnummer = by_vestigingsnummer.vestigingsnummer
    left join kvk_at_postcode_and_house as at_house
        on lines.kvk_number = at_house.kvk_number
        and upper(replace(lines.supplier_postcode, ' ', '')) = at_house.postcode
        and regexp_extract(lines.supplier_house_number, '^[0-9]+') = at_house.house_number
    left join kvk_at_postcode as at_postcode
        on lines.kvk_number = at_postcode.kvk_number
        and upper(replace(lines.supplier_postcode, ' ', '')) = at_postcode.postcode
    left join kvk_head_office_at_house as head_office_at_house
        on lines.kvk_number = head_office_at_house.kvk_number
        and regexp_extract(lines.supplier_house_number, '^[0-9]+') = head_office_at_house.house_number
    left join kvk_head_office as head_office
        on lines.kvk_number = head_office.kvk_number

),

-- The establishment found by rule 1 or 2, with the sector of its main activity (SBI section in the
-- extract's SBI version, as in `establishments`) and whether its PC4 and the invoice's are in the
-- reference.
lines_with_establishment as not materialized (

    select
        lines.*,
        est.vestigingsnummer as establishment_vestigingsnummer,
        est.kvk_number as establishment_kvk_number,
        est.is_head_office as establishment_is_head_office,
        est.legal_form as establishment_legal_form,
        est_pc4.pc4 as establishment_pc4,
        est.sbi_version,
        est.sbi_main_activity_code,
        est.sector_code,
        est.sector_name,
        invoice_pc4.pc4 as invoice_pc4
    from matched_lines as lines
    left join establishments as est
        on lines.matched_vestigingsnummer = est.vestigingsnummer
    left join pc4s as est_pc4
        on est.pc4 = est_pc4.pc4
    left join pc4s as invoice_pc4
        on lines.supplier_pc4 = invoice_pc4.pc4

),

-- The rule that placed the line (the first that yields a PC4 in the reference) ...
with_method as not materialized (

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

-- ... and the PC4 it yields.
with_pc4 as not materialized (

    select
        with_method.*,
        case
            when with_method.placement_method in (
                'vestigingsnummer', 'kvk_number_at_invoice_postcode', 'kvk_number_head_office'
            ) then with_method.establishment_pc4
            when with_method.placement_method = 'invoice_postcode' then with_method.invoice_pc4
        end as pc4
    from with_method

),

-- Step 1's result: where the line is placed by what it names itself.
located as not materialized (

    select
        with_pc4.invoice_line_key,
        with_pc4.anchor_code,
        with_pc4.anchor_name,
        -- where the line comes from (raw.invoice_lines, raw.deliveries): the audit trail of every figure
        with_pc4.source_file,
        with_pc4.source_row,
        with_pc4.invoice_id,
        with_pc4.invoice_line,
        with_pc4.invoice_date,
        cast(extract(year from with_pc4.invoice_date) as integer) as invoice_year,
        with_pc4.supplier_ref,
        with_pc4.kvk_number,
        with_pc4.vestigingsnummer as invoice_vestigingsnummer,
        with_pc4.supplier_country,
        with_pc4.supplier_pc4 as invoice_pc4,
        with_pc4.amount_excl_vat,
        with_pc4.vat_amount,
        with_pc4.ledger_account,
        with_pc4.cost_centre,
        with_pc4.category,
        with_pc4.cpv_code,

        with_pc4.establishment_match,
        with_pc4.establishment_vestigingsnummer as vestigingsnummer,
        with_pc4.establishment_kvk_number,
        with_pc4.establishment_is_head_office,
        with_pc4.establishment_legal_form as legal_form,

        with_pc4.placement_method,
        with_pc4.pc4,
        pc4s.gemeente_code,
        pc4s.gemeente_naam,
        pc4s.stadsdeel_code,
        pc4s.stadsdeel_naam,
        case
            when with_pc4.placement_method = 'abroad' then 'abroad'
            when with_pc4.placement_method = 'unknown' then 'unknown'
            else pc4s.tier
        end as tier,
        pc4s.is_shared_pc4,
        pc4s.nieuw_west_address_share,

        with_pc4.sbi_version,
        with_pc4.sbi_main_activity_code,
        with_pc4.sector_code,
        with_pc4.sector_name
    from with_pc4
    left join pc4s
        on with_pc4.pc4 = pc4s.pc4

),

-- Step 2 ----------------------------------------------------------------------------------------------

with_establishment as not materialized (

    select
        lines.*,
        case
            when lines.placement_method in (
                'vestigingsnummer', 'kvk_number_at_invoice_postcode', 'kvk_number_head_office'
            ) then lines.vestigingsnummer
            else matches.vestigingsnummer
        end as delivering_vestigingsnummer,
        case
            when lines.placement_method in (
                'vestigingsnummer', 'kvk_number_at_invoice_postcode', 'kvk_number_head_office'
            ) then lines.placement_method
            else 'resolved_' || matches.resolution_method
        end as establishment_method
    from located as lines
    left join matches
        on lines.anchor_code = matches.anchor_code
        and lines.supplier_ref = matches.supplier_ref

),

tiered as not materialized (

    select
        we.*,
        est.vestigingsnummer as delivering_establishment_found,
        est.kvk_number as delivering_kvk_number,
        est.legal_form as delivering_legal_form,
        est.sbi_version as delivering_sbi_version,
        est.sbi_main_activity_code as delivering_sbi_main_activity_code,
        est.sector_code as delivering_sector_code,
        est.sector_name as delivering_sector_name,
        est.pc4 as delivering_pc4,
        -- an establishment whose address the reference cannot place does not place the line
        est.tier is not null as has_placed_establishment,
        -- ... but still says who the supplier is, unless the line names an establishment itself
        est.tier is not null or (we.vestigingsnummer is null and est.vestigingsnummer is not null)
            as describes_supplier,
        est.tier as establishment_tier,
        orgs.tier_based_or_branched,
        orgs.tier_head_office
    from with_establishment as we
    left join establishments as est
        on we.delivering_vestigingsnummer = est.vestigingsnummer
    left join organisations as orgs
        on est.kvk_number = orgs.kvk_number

),

by_basis as not materialized (

    select
        * exclude (
            tier, placement_method, vestigingsnummer, legal_form, pc4, establishment_tier, gemeente_code,
            gemeente_naam, stadsdeel_code, stadsdeel_naam, is_shared_pc4, nieuw_west_address_share,
            tier_based_or_branched, tier_head_office, has_placed_establishment, delivering_vestigingsnummer,
            establishment_method, delivering_legal_form, delivering_pc4, delivering_establishment_found,
            delivering_kvk_number, delivering_sbi_version, delivering_sbi_main_activity_code,
            delivering_sector_code, delivering_sector_name, describes_supplier, sbi_version,
            sbi_main_activity_code, sector_code, sector_name
        ),
        case when has_placed_establishment then establishment_method else placement_method end
            as placement_method,
        -- the supplier's establishment and what it is (placed or not)
        case when describes_supplier then delivering_vestigingsnummer else vestigingsnummer end
            as vestigingsnummer,
        case when describes_supplier then delivering_kvk_number else establishment_kvk_number end
            as organisation_kvk_number,
        case when describes_supplier then delivering_legal_form else legal_form end as legal_form,
        case when describes_supplier then delivering_sbi_version else sbi_version end as sbi_version,
        case when describes_supplier then delivering_sbi_main_activity_code else sbi_main_activity_code end
            as sbi_main_activity_code,
        case when describes_supplier then delivering_sector_code else sector_code end as sector_code,
        case when describes_supplier then delivering_sector_name else sector_name end as sector_name,
        -- where the line is placed
        case when has_placed_establishment then delivering_pc4 else pc4 end as pc4,
        case when has_placed_establishment then establishment_tier else tier end as tier_establishment,
        case when has_placed_establishment then coalesce(tier_head_office, establishment_tier) else tier end
            as tier_head_office,
        case when has_placed_establishment then coalesce(tier_based_or_branched, establishment_tier) else tier end
            as tier_cles
    from tiered

),

final as not materialized (

    select
        *,
        '{{ var("placement_basis") }}' as placement_basis,
        case '{{ var("placement_basis") }}'
            when 'establishment' then tier_establishment
            when 'head_office' then tier_head_office
            else tier_cles
        end as tier
    from by_basis

),

-- Gemeente and stadsdeel of the PC4 the line is now placed by.
-- NOT MATERIALIZED: this CTE is read twice (the rule keys below, and the result). DuckDB would otherwise
-- write all of it (ten million lines) to a temporary buffer and scan that twice; inlined, each use reads
-- only the columns it needs (README "Scale and speed": 60.8 -> 41.0 s at 10M lines). Every CTE it is built
-- from, matched_lines to final, is NOT MATERIALIZED for the same reason: DuckDB materializes a CTE that is
-- read more than once, so inlining this one alone only moved that buffer one CTE up (to `final`: 45 columns
-- of ten million lines, spilled to disk under the memory limit; README: the query alone 38 -> 19 s).
with_area as not materialized (

    select
        final.*,
        pc4s.gemeente_code,
        pc4s.gemeente_naam,
        pc4s.stadsdeel_code,
        pc4s.stadsdeel_naam,
        pc4s.is_shared_pc4,
        pc4s.nieuw_west_address_share
    from final
    left join pc4s
        on final.pc4 = pc4s.pc4

),

-- What the rules look at, once per distinct combination (far fewer than lines).
rule_keys as (

    select distinct
        anchor_code,
        coalesce(organisation_kvk_number, kvk_number) as supplier_kvk_number,
        ledger_account,
        category,
        legal_form
    from with_area

),

-- The deciding rule per combination (combinations no rule matches do not appear).
deciding_rule as (

    select
        keys.*,
        rules.rule_id,
        rules.exclusion_class
    from rule_keys as keys
    inner join influenceable_rules as rules
        on (rules.anchor_code = '*' or rules.anchor_code = keys.anchor_code)
        and (
            (rules.match_field = 'supplier_kvk_number' and keys.supplier_kvk_number = rules.match_value)
            or (rules.match_field = 'ledger_account' and keys.ledger_account = rules.match_value)
            or (rules.match_field = 'ledger_account_prefix' and starts_with(keys.ledger_account, rules.match_value))
            or (rules.match_field = 'category' and lower(trim(keys.category)) = lower(rules.match_value))
            or (rules.match_field = 'supplier_legal_form' and keys.legal_form = rules.match_value)
        )
    qualify row_number() over (
        partition by keys.anchor_code, keys.supplier_kvk_number, keys.ledger_account, keys.category, keys.legal_form
        order by rules.rule_level, (rules.anchor_code = '*'), length(rules.match_value) desc, rules.rule_id
    ) = 1

),

scoped as (

    select
        with_area.*,
        coalesce(deciding_rule.exclusion_class, 'influenceable') = 'influenceable' as is_influenceable,
        nullif(deciding_rule.exclusion_class, 'influenceable') as exclusion_class,
        deciding_rule.rule_id as influenceable_rule_id
    from with_area
    left join deciding_rule
        on with_area.anchor_code = deciding_rule.anchor_code
        and coalesce(with_area.organisation_kvk_number, with_area.kvk_number)
        is not distinct from deciding_rule.supplier_kvk_number
        and with_area.ledger_account is not distinct from deciding_rule.ledger_account
        and with_area.category is not distinct from deciding_rule.category
        and with_area.legal_form is not distinct from deciding_rule.legal_form

)

select * from scoped
