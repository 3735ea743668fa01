-- What leaves the platform of fct_spend_by_recipient_group: the mart, with the figures the disclosure rule
-- suppresses (its is_suppressed flags) set to NULL.
{{ config(alias='fct_spend_by_recipient_group') }}

{{ publish('fct_spend_by_recipient_group', withhold={
    'is_suppressed': ['spend_eur', 'share', 'influenceable_spend_eur', 'influenceable_share'],
    'is_place_split_suppressed': ['spend_nieuw_west_eur', 'spend_amsterdam_eur', 'spend_partial_sbi_mapping_eur',
                                  'influenceable_spend_nieuw_west_eur', 'influenceable_spend_amsterdam_eur'],
}) }}
