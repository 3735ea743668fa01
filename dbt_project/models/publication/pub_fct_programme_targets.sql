-- What leaves the platform of fct_programme_targets: the mart as it is (no figure of it reveals what
-- one supplier earns).
{{ config(alias='fct_programme_targets') }}

{{ publish('fct_programme_targets') }}
