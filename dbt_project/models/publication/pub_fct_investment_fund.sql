-- What leaves the platform of fct_investment_fund: the mart as it is (no figure of it reveals what
-- one supplier earns).
{{ config(alias='fct_investment_fund') }}

{{ publish('fct_investment_fund') }}
