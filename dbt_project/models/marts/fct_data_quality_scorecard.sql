-- The data quality scorecard a dashboard shows (actielijn 1b.2): one row per anchor x year (of
-- invoice_date) with completeness per field, how VAT was obtained, how the spend was placed, suspected
-- duplicates, negative lines and credit notes, and the largest unresolved creditors. Formulas:
--   spend_eur = sum(amount_excl_vat) (credit notes netted); volume_eur = sum(abs(amount_excl_vat));
--   share_volume_with_<field>     = fct_data_completeness.share_volume_with for that field;
--   share_lines_vat_<basis>       = fct_vat_basis.share_lines (0 when the basis has no lines), and
--   share_volume_vat_<basis>        share_volume likewise; the three bases add up to 1;
--   share_spend_placed_by_<group> = fct_placement_methods spend of the group / spend_eur (net, as
--                                   fct_spend_by_tier; the six groups add up to 1);
--   n_suspected_duplicates        = distinct suspect invoices in fct_suspected_duplicate_invoices (any
--                                   rule), suspected_duplicate_eur = their euros_at_stake, each once;
--   n_negative_lines              = lines with amount_excl_vat < 0, negative_lines_eur = their sum (< 0);
--   n_credit_notes, credit_notes_eur: fct_credit_notes of the year; *_without_original: those without a
--                                   matching original invoice;
--   n_unresolved_suppliers        = creditors in fct_unresolved_suppliers with lines this year,
--   unresolved_spend_eur          = their spend this year;
--   unresolved_top_n_eur          = the spend this year of the var('scorecard_top_n_unresolved') (default
--                                   10) of them with the most spend this year; unresolved_top_n_share =
--                                   unresolved_top_n_eur / spend_eur.
{% set fields = [
    'kvk_number', 'vestigingsnummer', 'vat_number', 'iban', 'supplier_postcode', 'category',
    'cost_centre', 'ledger_account', 'cpv_code', 'vat_amount'
] %}
{% set vat_bases = ['from_source_column', 'derived_from_rate', 'unknown'] %}
{% set method_groups = [
    'vestigingsnummer', 'kvk_number', 'supplier_resolution', 'invoice_postcode', 'abroad', 'unknown'
] %}
{% set top_n = var('scorecard_top_n_unresolved', 10) %}
with

lines as (

    select * from {{ ref('stg_anchors__invoice_lines') }}

),

completeness as (

    select * from {{ ref('fct_data_completeness') }}

),

vat_basis as (

    select * from {{ ref('fct_vat_basis') }}

),

placement_methods as (

    select * from {{ ref('fct_placement_methods') }}

),

duplicates as (

    select * from {{ ref('fct_suspected_duplicate_invoices') }}

),

credit_notes as (

    select * from {{ ref('fct_credit_notes') }}

),

unresolved_suppliers as (

    select * from {{ ref('fct_unresolved_suppliers') }}

),

supplier_years as (

    select * from {{ ref('int_supplier_years_aggregated') }}

),

anchor_years as (

    select
        anchor_code,
        cast(extract(year from invoice_date) as integer) as year,
        max(anchor_name) as anchor_name,
        count(*) as n_lines,
        cast(sum(amount_excl_vat) as decimal(18, 2)) as spend_eur,
        cast(sum(abs(amount_excl_vat)) as decimal(18, 2)) as volume_eur,
        count(*) filter (where amount_excl_vat < 0) as n_negative_lines,
        cast(coalesce(sum(amount_excl_vat) filter (where amount_excl_vat < 0), 0) as decimal(18, 2))
            as negative_lines_eur
    from lines
    group by anchor_code, year

),

completeness_pivoted as (

    select
        anchor_code,
        year,
        {% for field in fields %}
        max(share_volume_with) filter (where field = '{{ field }}') as share_volume_with_{{ field }}
        {%- if not loop.last %},{% endif %}
        {% endfor %}
    from completeness
    group by anchor_code, year

),

vat_pivoted as (

    select
        anchor_code,
        year,
        {% for basis in vat_bases %}
        coalesce(sum(share_lines) filter (where vat_basis = '{{ basis }}'), 0) as share_lines_vat_{{ basis }},
        coalesce(sum(share_volume) filter (where vat_basis = '{{ basis }}'), 0) as share_volume_vat_{{ basis }}
        {%- if not loop.last %},{% endif %}
        {% endfor %}
    from vat_basis
    group by anchor_code, year

),

placement_pivoted as (

    select
        anchor_code,
        year,
        {% for group in method_groups %}
        cast(coalesce(sum(spend_eur) filter (where method_group = '{{ group }}'), 0) as decimal(18, 2))
            as spend_placed_by_{{ group }}_eur
        {%- if not loop.last %},{% endif %}
        {% endfor %}
    from placement_methods
    group by anchor_code, year

),

-- each suspect invoice once, whichever rules and originals it pairs with
duplicate_suspects as (

    select distinct anchor_code, supplier_ref, invoice_id, year, euros_at_stake
    from duplicates

),

duplicates_per_year as (

    select
        anchor_code,
        year,
        count(*) as n_suspected_duplicates,
        cast(sum(euros_at_stake) as decimal(18, 2)) as suspected_duplicate_eur
    from duplicate_suspects
    group by anchor_code, year

),

credit_notes_per_year as (

    select
        anchor_code,
        year,
        count(*) as n_credit_notes,
        cast(sum(amount_excl_vat) as decimal(18, 2)) as credit_notes_eur,
        count(*) filter (where not has_matching_original) as n_credit_notes_without_original,
        cast(coalesce(sum(amount_excl_vat) filter (where not has_matching_original), 0) as decimal(18, 2))
            as credit_notes_without_original_eur
    from credit_notes
    group by anchor_code, year

),

unresolved_years as (

    select
        sy.anchor_code,
        sy.year,
        sy.supplier_ref,
        sy.spend_eur,
        row_number() over (
            partition by sy.anchor_code, sy.year order by sy.spend_eur desc, sy.supplier_ref
        ) as rank_in_year
    from supplier_years as sy
    inner join unresolved_suppliers as us
        on sy.anchor_code = us.anchor_code
        and sy.supplier_ref is not distinct from us.supplier_ref

),

unresolved_per_year as (

    select
        anchor_code,
        year,
        count(*) as n_unresolved_suppliers,
        cast(sum(spend_eur) as decimal(18, 2)) as unresolved_spend_eur,
        cast(coalesce(sum(spend_eur) filter (where rank_in_year <= {{ top_n }}), 0) as decimal(18, 2))
            as unresolved_top_n_eur
    from unresolved_years
    group by anchor_code, year

),

final as (

    select
        ay.anchor_code,
        ay.anchor_name,
        ay.year,
        cast(ay.n_lines as bigint) as n_lines,
        ay.spend_eur,
        ay.volume_eur,
        {% for field in fields %}
        cp.share_volume_with_{{ field }},
        {% endfor %}
        {% for basis in vat_bases %}
        coalesce(vp.share_lines_vat_{{ basis }}, 0) as share_lines_vat_{{ basis }},
        coalesce(vp.share_volume_vat_{{ basis }}, 0) as share_volume_vat_{{ basis }},
        {% endfor %}
        {% for group in method_groups %}
        cast(coalesce(pp.spend_placed_by_{{ group }}_eur, 0) as double)
        / nullif(cast(ay.spend_eur as double), 0) as share_spend_placed_by_{{ group }},
        {% endfor %}
        cast(coalesce(d.n_suspected_duplicates, 0) as bigint) as n_suspected_duplicates,
        cast(coalesce(d.suspected_duplicate_eur, 0) as decimal(18, 2)) as suspected_duplicate_eur,
        cast(ay.n_negative_lines as bigint) as n_negative_lines,
        ay.negative_lines_eur,
        cast(coalesce(cn.n_credit_notes, 0) as bigint) as n_credit_notes,
        cast(coalesce(cn.credit_notes_eur, 0) as decimal(18, 2)) as credit_notes_eur,
        cast(coalesce(cn.n_credit_notes_without_original, 0) as bigint) as n_credit_notes_without_original,
        cast(coalesce(cn.credit_notes_without_original_eur, 0) as decimal(18, 2))
            as credit_notes_without_original_eur,
        cast(coalesce(u.n_unresolved_suppliers, 0) as bigint) as n_unresolved_suppliers,
        cast(coalesce(u.unresolved_spend_eur, 0) as decimal(18, 2)) as unresolved_spend_eur,
        cast({{ top_n }} as integer) as unresolved_top_n,
        cast(coalesce(u.unresolved_top_n_eur, 0) as decimal(18, 2)) as unresolved_top_n_eur,
        cast(coalesce(u.unresolved_top_n_eur, 0) as double)
        / nullif(cast(ay.spend_eur as double), 0) as unresolved_top_n_share
    from anchor_years as ay
    left join completeness_pivoted as cp
        on ay.anchor_code = cp.anchor_code and ay.year = cp.year
    left join vat_pivoted as vp
        on ay.anchor_code = vp.anchor_code and ay.year = vp.year
    left join placement_pivoted as pp
        on ay.anchor_code = pp.anchor_code and ay.year = pp.year
    left join duplicates_per_year as d
        on ay.anchor_code = d.anchor_code and ay.year = d.year
    left join credit_notes_per_year as cn
        on ay.anchor_code = cn.anchor_code and ay.year = cn.year
    left join unresolved_per_year as u
        on ay.anchor_code = u.anchor_code and ay.year = u.year

)

select * from final
