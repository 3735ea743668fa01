-- What leaves the platform of fct_lm3: the mart, with the figures the disclosure rule
-- suppresses (its is_suppressed flags) set to NULL.
{{ config(alias='fct_lm3') }}

{{ publish('fct_lm3', withhold={
    'is_suppressed': ['round1_eur', 'round2_eur', 'round3_eur', 'lm3'],
}) }}
