-- What leaves the platform of fct_data_completeness: the mart as it is (no figure of it reveals what
-- one supplier earns).
{{ config(alias='fct_data_completeness') }}

{{ publish('fct_data_completeness') }}
