-- What leaves the platform of fct_shared_suppliers: the mart, with the figures the disclosure rule
-- suppresses (its is_suppressed flags) set to NULL.
{{ config(alias='fct_shared_suppliers') }}

{{ publish('fct_shared_suppliers', withhold={
    'is_suppressed': ['spend_eur', 'spend_nieuw_west_eur', 'influenceable_spend_eur',
                      'influenceable_spend_nieuw_west_eur'],
}) }}
