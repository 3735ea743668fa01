-- What leaves the platform of fct_delivery_reconciliation: the mart as it is (no figure of it reveals what
-- one supplier earns).
{{ config(alias='fct_delivery_reconciliation') }}

{{ publish('fct_delivery_reconciliation') }}
