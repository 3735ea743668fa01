-- Invoice lines summed to invoices, the unit the duplicate and credit-note checks compare.
-- Grain: one row per anchor x creditor (supplier_ref) x invoice_id. The same invoice number under two
-- creditor numbers is two rows here: that is what duplicate rule same_invoice_id_two_creditors looks for.
--   invoice_date     = the earliest invoice_date of its lines (an export repeats it per line);
--   amount_excl_vat  = sum of its lines (net, credit notes negative);
--   n_negative_lines = lines with amount_excl_vat < 0.
-- No names and no free text.
with

lines as (

    select * from {{ ref('stg_anchors__invoice_lines') }}

),

invoices as (

    select
        anchor_code,
        supplier_ref,
        invoice_id,
        min(invoice_date) as invoice_date,
        cast(extract(year from min(invoice_date)) as integer) as year,
        count(*) as n_lines,
        count(*) filter (where amount_excl_vat < 0) as n_negative_lines,
        cast(sum(amount_excl_vat) as decimal(18, 2)) as amount_excl_vat
    from lines
    group by anchor_code, supplier_ref, invoice_id

)

select * from invoices
