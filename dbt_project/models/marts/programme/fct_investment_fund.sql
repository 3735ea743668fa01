-- The investment instrument (action 3.3): one row per ledger entry, in date order, with the running
-- totals against the target (programme target investment_capacity_eur).
--   committed_to_date_eur = sum of commitments up to and including this entry's date
--   invested_to_date_eur  = sum of investments up to and including this entry's date
--   progress_share        = committed_to_date_eur / target
with

ledger as (

    select * from {{ ref('stg_programme__fund_transactions') }}

),

target as (

    select target_value, deadline from {{ ref('stg_programme__targets') }}
    where target_key = 'investment_capacity_eur'

),

final as (

    select
        ledger.transaction_date,
        ledger.party,
        ledger.kind,
        ledger.initiative_key,
        ledger.amount_eur,
        cast(sum(ledger.amount_eur) filter (where ledger.kind = 'commitment') over to_date as decimal(18, 2))
            as committed_to_date_eur,
        cast(coalesce(sum(ledger.amount_eur) filter (where ledger.kind = 'investment') over to_date, 0)
            as decimal(18, 2)) as invested_to_date_eur,
        cast(target.target_value as decimal(18, 2)) as target_eur,
        target.deadline,
        cast(sum(ledger.amount_eur) filter (where ledger.kind = 'commitment') over to_date as double)
            / nullif(target.target_value, 0) as progress_share
    from ledger
    left join target
        on true
    window to_date as (order by ledger.transaction_date range between unbounded preceding and current row)

)

select * from final
