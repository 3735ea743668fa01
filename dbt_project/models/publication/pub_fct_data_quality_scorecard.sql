-- What leaves the platform of fct_data_quality_scorecard: the mart as it is (no figure of it reveals what
-- one supplier earns).
{{ config(alias='fct_data_quality_scorecard') }}

{{ publish('fct_data_quality_scorecard') }}
