-- What leaves the platform of fct_spend_by_tier: the mart, with the figures the disclosure rule
-- suppresses (its is_suppressed flags) set to NULL.
{{ config(alias='fct_spend_by_tier') }}

{{ publish('fct_spend_by_tier', withhold={
    'is_suppressed': ['spend_eur', 'share'],
    'is_period_total_suppressed': ['share'],
}) }}
