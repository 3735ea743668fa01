-- What leaves the platform of fct_resolution_coverage: the mart as it is (no figure of it reveals what
-- one supplier earns).
{{ config(alias='fct_resolution_coverage') }}

{{ publish('fct_resolution_coverage') }}
