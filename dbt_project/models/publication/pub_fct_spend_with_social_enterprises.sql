-- What leaves the platform of fct_spend_with_social_enterprises: the mart, with the figures the disclosure rule
-- suppresses (its is_suppressed flags) set to NULL.
{{ config(alias='fct_spend_with_social_enterprises') }}

{{ publish('fct_spend_with_social_enterprises', withhold={
    'is_suppressed': ['spend_eur', 'share', 'influenceable_spend_eur', 'influenceable_share'],
}) }}
