-- What leaves the platform of fct_cooperative_pipeline: the mart, with the figures the disclosure rule
-- suppresses (its is_suppressed flags) set to NULL.
{{ config(alias='fct_cooperative_pipeline') }}

{{ publish('fct_cooperative_pipeline', withhold={
    'is_suppressed': ['revenue_eur', 'income_from_anchors_eur', 'income_latest_year_eur'],
}) }}
