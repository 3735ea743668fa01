-- What leaves the platform of fct_tender_opportunities: the mart as it is (no figure of it reveals what
-- one supplier earns).
{{ config(alias='fct_tender_opportunities') }}

{{ publish('fct_tender_opportunities') }}
