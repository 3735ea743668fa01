-- Each invoice line's tier by the configured placement basis (var `placement_basis`):
--   cles (default)  the organisation counts as local where it is based or branched: the most local
--                   tier among all establishments of its KvK number (CLES, "based or branched");
--   establishment   the delivering establishment decides;
--   head_office     the organisation's head office decides.
-- The delivering establishment is the one the line itself names (int_invoice_lines_located:
-- vestigingsnummer or KvK number) or, when it names none, the creditor's establishment found by
-- supplier resolution (auto-accepted or an analyst's override). Lines without an establishment keep
-- their located placement (abroad, invoice postcode, unknown). All three tiers are kept, so the
-- basis can be compared; `tier` is the chosen one. One row per invoice line.
with

lines as (

    select * from {{ ref('int_invoice_lines_located') }}

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

geography_tiers as (

    select * from {{ ref('geography_tiers') }}

),

-- One row per vestigingsnummer (the latest extract wins), with the tier of its own address.
establishments as (

    select
        est.vestigingsnummer,
        est.kvk_number,
        est.is_head_office,
        est.legal_form,
        est.pc4,
        pc4s.tier,
        tiers.tier_order
    from establishments_source as est
    left join pc4s
        on est.pc4 = pc4s.pc4
    left join geography_tiers as tiers
        on pc4s.tier = tiers.tier
    where est.vestigingsnummer is not null
    qualify row_number() over (
        partition by est.vestigingsnummer order by est.extract_date desc nulls last, est.kvk_number
    ) = 1

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

with_establishment as (

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
    from lines
    left join matches
        on lines.anchor_code = matches.anchor_code
        and lines.supplier_ref = matches.supplier_ref

),

tiered as (

    select
        we.*,
        est.kvk_number as organisation_kvk_number,
        est.legal_form as delivering_legal_form,
        est.pc4 as delivering_pc4,
        -- an establishment whose address the reference cannot place does not place the line
        est.tier is not null as has_placed_establishment,
        est.tier as establishment_tier,
        orgs.tier_based_or_branched,
        orgs.tier_head_office
    from with_establishment as we
    left join establishments as est
        on we.delivering_vestigingsnummer = est.vestigingsnummer
    left join organisations as orgs
        on est.kvk_number = orgs.kvk_number

),

by_basis as (

    select
        * exclude (
            tier, placement_method, vestigingsnummer, legal_form, pc4, establishment_tier, gemeente_code,
            gemeente_naam, stadsdeel_code, stadsdeel_naam, is_shared_pc4, nieuw_west_address_share,
            tier_based_or_branched, tier_head_office, has_placed_establishment, delivering_vestigingsnummer,
            establishment_method, delivering_legal_form, delivering_pc4
        ),
        case when has_placed_establishment then establishment_method else placement_method end
            as placement_method,
        case when has_placed_establishment then delivering_vestigingsnummer else vestigingsnummer end
            as vestigingsnummer,
        case when has_placed_establishment then delivering_legal_form else legal_form end as legal_form,
        case when has_placed_establishment then delivering_pc4 else pc4 end as pc4,
        case when has_placed_establishment then establishment_tier else tier end as tier_establishment,
        case when has_placed_establishment then coalesce(tier_head_office, establishment_tier) else tier end
            as tier_head_office,
        case when has_placed_establishment then coalesce(tier_based_or_branched, establishment_tier) else tier end
            as tier_cles
    from tiered

),

final as (

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
with_area as (

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

)

select * from with_area
