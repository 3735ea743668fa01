-- The investment instrument's ledger, one row per commitment or investment.
select
    cast(transaction_date as date) as transaction_date,
    cast(party as varchar) as party,
    cast(kind as varchar) as kind,
    cast(initiative_key as varchar) as initiative_key,
    cast(amount_eur as decimal(18, 2)) as amount_eur
from {{ source('programme', 'fund_transactions') }}
