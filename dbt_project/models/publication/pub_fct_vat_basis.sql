-- What leaves the platform of fct_vat_basis: the mart as it is (no figure of it reveals what
-- one supplier earns).
{{ config(alias='fct_vat_basis') }}

{{ publish('fct_vat_basis') }}
