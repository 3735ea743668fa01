-- What leaves the platform of fct_koop_lokaal_directory: the mart as it is (no figure of it reveals what
-- one supplier earns).
{{ config(alias='fct_koop_lokaal_directory') }}

{{ publish('fct_koop_lokaal_directory') }}
