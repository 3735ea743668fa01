-- What leaves the platform of fct_sector_leakage: the mart, with the figures the disclosure rule
-- suppresses (its is_suppressed flags) set to NULL.
{{ config(alias='fct_sector_leakage') }}

{{ publish('fct_sector_leakage', withhold={
    'is_suppressed': ['spend_eur', 'influenceable_spend_eur'],
    'is_place_split_suppressed': ['spend_nieuw_west_eur', 'spend_leaving_nieuw_west_eur', 'spend_leaving_amsterdam_eur',
                                  'spend_unknown_place_eur', 'leakage_with_local_alternative_eur',
                                  'share_leaving_nieuw_west', 'influenceable_spend_nieuw_west_eur',
                                  'influenceable_spend_leaving_nieuw_west_eur',
                                  'influenceable_spend_leaving_amsterdam_eur',
                                  'influenceable_spend_unknown_place_eur',
                                  'influenceable_leakage_with_local_alternative_eur',
                                  'influenceable_share_leaving_nieuw_west'],
}) }}
