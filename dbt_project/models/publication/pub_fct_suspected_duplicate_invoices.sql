-- What leaves the platform of fct_suspected_duplicate_invoices: the mart, with the figures the disclosure rule
-- suppresses (its is_suppressed flags) set to NULL.
{{ config(alias='fct_suspected_duplicate_invoices') }}

{{ publish('fct_suspected_duplicate_invoices', withhold={
    'is_suppressed': ['amount_excl_vat', 'original_amount_excl_vat', 'euros_at_stake'],
}) }}
