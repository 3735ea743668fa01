-- What leaves the platform of fct_nieuw_west_establishments_by_sector: the mart as it is (no figure of it reveals what
-- one supplier earns).
{{ config(alias='fct_nieuw_west_establishments_by_sector') }}

{{ publish('fct_nieuw_west_establishments_by_sector') }}
