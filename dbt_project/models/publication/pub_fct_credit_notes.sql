-- What leaves the platform of fct_credit_notes: the mart, with the figures the disclosure rule
-- suppresses (its is_suppressed flags) set to NULL.
{{ config(alias='fct_credit_notes') }}

{{ publish('fct_credit_notes', withhold={
    'is_suppressed': ['amount_excl_vat'],
}) }}
