-- The anchors' tender calendar, one row per tender, with its CPV code split into the 8-digit code
-- (without check digit) and its number of lots.
with

tenders as (

    select * from {{ source('programme', 'tenders') }}

),

lots as (

    select tender_id, count(*) as n_lots
    from {{ source('programme', 'tender_lots') }}
    group by tender_id

)

select
    cast(tenders.anchor_code as varchar) as anchor_code,
    cast(tenders.tender_id as varchar) as tender_id,
    cast(tenders.title as varchar) as title,
    cast(tenders.expected_publication as date) as expected_publication,
    cast(tenders.estimated_value_eur as decimal(18, 2)) as estimated_value_eur,
    cast(tenders.cpv_code as varchar) as cpv_code,
    left(cast(tenders.cpv_code as varchar), 8) as cpv_code_8,
    coalesce(lots.n_lots, 0) as n_lots
from tenders
left join lots
    on tenders.tender_id = lots.tender_id
