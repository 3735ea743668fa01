-- The number of Nieuw-West establishments fct_sector_leakage gives a sector equals the number of
-- establishments fct_nieuw_west_establishments_by_sector lists under it (rows returned = failures).
with

leakage as (

    select distinct sector_scheme, sector_code, n_nieuw_west_establishments
    from {{ ref('fct_sector_leakage') }}
    where sector_code not in ('other', 'unknown')

),

listing as (

    select sector_scheme, sector_code, count(*) as n_listed
    from {{ ref('fct_nieuw_west_establishments_by_sector') }}
    group by sector_scheme, sector_code

)

select
    leakage.sector_scheme,
    leakage.sector_code,
    leakage.n_nieuw_west_establishments,
    listing.n_listed
from leakage
left join listing
    on leakage.sector_scheme = listing.sector_scheme
    and leakage.sector_code = listing.sector_code
where leakage.n_nieuw_west_establishments <> coalesce(listing.n_listed, 0)
