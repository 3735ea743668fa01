-- The anchors' tender calendar (action 1a.2) with how many local candidates each tender has: one row
-- per tender of landing/programme/tenders.csv, also when no candidate was found (that is a signal: the
-- work may leak out of Nieuw-West unless a supplier is found or started).
--   n_candidates             = rows of fct_tender_opportunities for the tender (at most the dbt var
--                              tender_candidates_per_tender)
--   n_initiative_candidates  = of which initiatives of the co-operative register
with

tenders as (

    select * from {{ ref('stg_programme__tenders') }}

),

opportunities as (

    select * from {{ ref('fct_tender_opportunities') }}

),

counts as (

    select
        tender_id,
        max(target_sector) as target_sector,
        count(*) as n_candidates,
        count(*) filter (where candidate_type = 'initiative') as n_initiative_candidates
    from opportunities
    group by tender_id

),

final as (

    select
        tenders.anchor_code,
        tenders.tender_id,
        tenders.title,
        tenders.expected_publication,
        tenders.estimated_value_eur,
        tenders.cpv_code,
        tenders.n_lots,
        counts.target_sector,
        cast(coalesce(counts.n_candidates, 0) as bigint) as n_candidates,
        cast(coalesce(counts.n_initiative_candidates, 0) as bigint) as n_initiative_candidates
    from tenders
    left join counts
        on tenders.tender_id = counts.tender_id

)

select * from final
