-- What leaves the platform of fct_nieuw_west_establishments_by_sector: the mart, with what the anchors pay
-- an organisation of natural persons (its is_suppressed flag) set to NULL.
{{ config(alias='fct_nieuw_west_establishments_by_sector') }}

{{ publish('fct_nieuw_west_establishments_by_sector', withhold={
    'is_suppressed': ['spend_all_anchors_eur', 'influenceable_spend_all_anchors_eur'],
}) }}
