-- Suspected duplicate invoices: invoices that may have been booked (and paid) twice.
-- Grain: one row per anchor x rule x suspected duplicate invoice x the earlier invoice it seems to repeat.
-- An invoice is anchor x creditor (supplier_ref) x invoice_id (int_invoices_aggregated). Rules:
--   same_amount_within_window     same anchor and creditor, a different invoice_id, the same non-zero
--                                 amount (sum of the lines excluding VAT, sign included: an invoice and
--                                 the credit note that reverses it are a pair, not a duplicate, see
--                                 fct_credit_notes), invoice dates at most var('duplicate_invoice_window_days', 7)
--                                 days apart (default 7);
--   same_invoice_id_two_creditors same anchor and invoice_id under two different creditor numbers (one
--                                 supplier registered twice), whatever the amounts and dates.
-- Of each pair the later invoice (invoice_date, then invoice_id resp. supplier_ref) is the suspect and the
-- earlier the original; three copies give three pairs and two suspects. A missing creditor number or
-- invoice id never matches.
--   days_apart      = suspect invoice_date - original invoice_date (>= 0);
--   euros_at_stake  = abs(suspect amount_excl_vat): what was paid twice if the suspicion holds. Count a
--                     suspect once when summing (it can pair with several originals and both rules).
-- Privacy (docs/architecture.md, "Privacy"): a pair with a creditor that is, or may be, a natural person
-- (either side; any of its lines' suppliers; not found: counts as one) has its amounts withheld in
-- publications: is_suppressed, suppression_reason `natural_person`. The figures here stay exact.
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

same_amount_within_window as (

    select
        'same_amount_within_window' as duplicate_rule,
        suspect.anchor_code,
        suspect.supplier_ref,
        suspect.invoice_id,
        suspect.invoice_date,
        suspect.year,
        suspect.n_lines,
        suspect.amount_excl_vat,
        original.supplier_ref as original_supplier_ref,
        original.invoice_id as original_invoice_id,
        original.invoice_date as original_invoice_date,
        original.amount_excl_vat as original_amount_excl_vat
    from invoices as suspect
    inner join invoices as original
        on suspect.anchor_code = original.anchor_code
        and suspect.supplier_ref = original.supplier_ref
        and suspect.amount_excl_vat = original.amount_excl_vat
        and suspect.invoice_id <> original.invoice_id
    where
        suspect.amount_excl_vat <> 0
        and date_diff('day', original.invoice_date, suspect.invoice_date)
        between 0 and {{ var('duplicate_invoice_window_days', 7) }}
        and (
            suspect.invoice_date > original.invoice_date
            or (suspect.invoice_date = original.invoice_date and suspect.invoice_id > original.invoice_id)
        )

),

same_invoice_id_two_creditors as (

    select
        'same_invoice_id_two_creditors' as duplicate_rule,
        suspect.anchor_code,
        suspect.supplier_ref,
        suspect.invoice_id,
        suspect.invoice_date,
        suspect.year,
        suspect.n_lines,
        suspect.amount_excl_vat,
        original.supplier_ref as original_supplier_ref,
        original.invoice_id as original_invoice_id,
        original.invoice_date as original_invoice_date,
        original.amount_excl_vat as original_amount_excl_vat
    from invoices as suspect
    inner join invoices as original
        on suspect.anchor_code = original.anchor_code
        and suspect.invoice_id = original.invoice_id
        and suspect.supplier_ref <> original.supplier_ref
    where
        suspect.invoice_date > original.invoice_date
        or (suspect.invoice_date = original.invoice_date and suspect.supplier_ref > original.supplier_ref)

),

pairs as (

    select * from same_amount_within_window
    union all
    select * from same_invoice_id_two_creditors

),

final as (

    select
        pairs.anchor_code,
        pairs.duplicate_rule,
        pairs.supplier_ref,
        pairs.invoice_id,
        pairs.invoice_date,
        pairs.year,
        cast(pairs.n_lines as bigint) as n_lines,
        pairs.amount_excl_vat,
        pairs.original_supplier_ref,
        pairs.original_invoice_id,
        pairs.original_invoice_date,
        pairs.original_amount_excl_vat,
        cast(date_diff('day', pairs.original_invoice_date, pairs.invoice_date) as integer) as days_apart,
        cast(abs(pairs.amount_excl_vat) as decimal(18, 2)) as euros_at_stake,
        coalesce(suspect.is_natural_person, true) or coalesce(original.is_natural_person, true) as is_suppressed,
        case
            when coalesce(suspect.is_natural_person, true) or coalesce(original.is_natural_person, true)
                then 'natural_person'
        end as suppression_reason
    from pairs
    left join creditors as suspect
        on pairs.anchor_code = suspect.anchor_code
        and pairs.supplier_ref = suspect.supplier_ref
    left join creditors as original
        on pairs.anchor_code = original.anchor_code
        and pairs.original_supplier_ref = original.supplier_ref

)

select * from final
