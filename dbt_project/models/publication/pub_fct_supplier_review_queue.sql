-- What leaves the platform of fct_supplier_review_queue: the mart, with the figures the disclosure rule
-- suppresses (its is_suppressed flags) set to NULL.
{{ config(alias='fct_supplier_review_queue') }}

{{ publish('fct_supplier_review_queue', withhold={
    'is_suppressed': ['spend_eur'],
}, rerank={'column': 'priority', 'partition': ['anchor_code'], 'type': 'bigint'}) }}
