-- What leaves the platform of fct_placement_methods: the mart as it is (no figure of it reveals what
-- one supplier earns).
{{ config(alias='fct_placement_methods') }}

{{ publish('fct_placement_methods') }}
