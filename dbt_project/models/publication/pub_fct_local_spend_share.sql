-- What leaves the platform of fct_local_spend_share: the mart, with the figures the disclosure rule
-- suppresses (its is_suppressed flags) set to NULL.
{{ config(alias='fct_local_spend_share') }}

{{ publish('fct_local_spend_share', withhold={
    'is_suppressed': ['spend_eur', 'share', 'share_low', 'share_high'],
    'is_period_total_suppressed': ['period_spend_eur', 'share', 'share_low', 'share_high'],
    'is_share_range_suppressed': ['share_low', 'share_high'],
}) }}
