-- What leaves the platform of fct_unresolved_suppliers: the mart, with the figures the disclosure rule
-- suppresses (its is_suppressed flags) set to NULL.
{{ config(alias='fct_unresolved_suppliers') }}

{{ publish('fct_unresolved_suppliers', withhold={
    'is_suppressed': ['spend_eur', 'unknown_tier_eur', 'share_of_anchor_spend'],
}, rerank={'column': 'rank_in_anchor', 'partition': ['anchor_code'], 'type': 'integer'}) }}
