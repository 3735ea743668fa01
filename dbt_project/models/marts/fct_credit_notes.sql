-- Credit notes and whether an original invoice for them can be found (a signal, not an error: a credit
-- note without its original may credit something booked before the data starts, another creditor
-- number, or nothing at all).
-- Grain: one row per credit note = an invoice (anchor x creditor x invoice_id, int_invoices_aggregated)
-- whose amount excluding VAT sums to less than zero.
-- Matching original: an invoice of the same anchor and creditor with a positive amount equal to the
-- credit note's absolute amount (matched_on = 'invoice_total'), else a positive invoice line of that
-- creditor with that amount (matched_on = 'invoice_line': a credit of one line of a larger invoice).
-- Of several candidates the closest is shown: invoice_total before invoice_line, then an original dated
-- on or before the credit note, then the smallest distance in days, then the lowest invoice_id.
-- Privacy (docs/architecture.md, "Privacy"): a credit note of a creditor that is, or may be, a natural
-- person (any of its lines' suppliers; not found: counts as one) has its amount withheld in publications:
-- is_suppressed, suppression_reason `natural_person`. The figures here stay exact.
with

creditors as (

    -- a creditor is protected when any of its lines' suppliers is, or may be, a natural person
    select anchor_code, supplier_ref, bool_or(is_natural_person) as is_natural_person
    from {{ ref('int_invoice_lines_classified') }}
    group by anchor_code, supplier_ref

),

invoices as (

    select * from {{ ref('int_invoices_aggregated') }}

),

lines as (

    select * from {{ ref('stg_anchors__invoice_lines') }}

),

credit_notes as (

    select * from invoices
    where amount_excl_vat < 0

),

candidates as (

    select
        cn.anchor_code,
        cn.supplier_ref,
        cn.invoice_id,
        'invoice_total' as matched_on,
        1 as match_order,
        original.invoice_id as original_invoice_id,
        original.invoice_date as original_invoice_date
    from credit_notes as cn
    inner join invoices as original
        on cn.anchor_code = original.anchor_code
        and cn.supplier_ref = original.supplier_ref
        and original.amount_excl_vat = -cn.amount_excl_vat

    union all

    select
        cn.anchor_code,
        cn.supplier_ref,
        cn.invoice_id,
        'invoice_line' as matched_on,
        2 as match_order,
        original.invoice_id as original_invoice_id,
        original.invoice_date as original_invoice_date
    from credit_notes as cn
    inner join lines as original
        on cn.anchor_code = original.anchor_code
        and cn.supplier_ref = original.supplier_ref
        and original.amount_excl_vat = -cn.amount_excl_vat

),

best_candidate as (

    select
        candidates.*,
        cn.invoice_date
    from candidates
    inner join credit_notes as cn
        on candidates.anchor_code = cn.anchor_code
        and candidates.supplier_ref = cn.supplier_ref
        and candidates.invoice_id = cn.invoice_id
    qualify row_number() over (
        partition by candidates.anchor_code, candidates.supplier_ref, candidates.invoice_id
        order by
            candidates.match_order,
            candidates.original_invoice_date <= cn.invoice_date desc,
            abs(date_diff('day', candidates.original_invoice_date, cn.invoice_date)),
            candidates.original_invoice_id
    ) = 1

),

final as (

    select
        cn.anchor_code,
        cn.supplier_ref,
        cn.invoice_id,
        cn.invoice_date,
        cn.year,
        cast(cn.n_lines as bigint) as n_lines,
        cn.amount_excl_vat,
        best.original_invoice_id is not null as has_matching_original,
        best.matched_on,
        best.original_invoice_id,
        best.original_invoice_date,
        coalesce(creditors.is_natural_person, true) as is_suppressed,
        case when coalesce(creditors.is_natural_person, true) then 'natural_person' end as suppression_reason
    from credit_notes as cn
    left join creditors
        on cn.anchor_code = creditors.anchor_code
        and cn.supplier_ref = creditors.supplier_ref
    left join best_candidate as best
        on cn.anchor_code = best.anchor_code
        and cn.supplier_ref = best.supplier_ref
        and cn.invoice_id = best.invoice_id

)

select * from final
