-- What leaves the platform of fct_cooperative_income: the mart, with the figures the disclosure rule
-- suppresses (its is_suppressed flags) set to NULL.
{{ config(alias='fct_cooperative_income') }}

{{ publish('fct_cooperative_income', withhold={
    'is_suppressed': ['spend_eur', 'influenceable_spend_eur'],
}) }}
