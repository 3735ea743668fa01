-- What leaves the platform of fct_top_non_local_suppliers: the mart, with the figures the disclosure rule
-- suppresses (its is_suppressed flags) set to NULL.
{{ config(alias='fct_top_non_local_suppliers') }}

{{ publish('fct_top_non_local_suppliers', withhold={
    'is_suppressed': ['influenceable_spend_eur', 'spend_eur', 'influenceable_share', 'share'],
}, rerank={'column': 'supplier_rank', 'partition': ['anchor_code', 'year'], 'type': 'integer'}) }}
