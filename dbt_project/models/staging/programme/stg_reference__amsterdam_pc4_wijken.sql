-- Each Amsterdam PC4's main wijk and gebied (the one with most addresses): the neighbourhood of a
-- supplier in the Koop Lokaal directory. One row per PC4.
select
    lpad(cast(postcode as varchar), 4, '0') as pc4,
    cast(wijk_code as varchar) as wijk_code,
    cast(wijk_naam as varchar) as wijk_naam,
    nullif(cast(gebied_code as varchar), '') as gebied_code,
    nullif(cast(gebied_naam as varchar), '') as gebied_naam,
    cast(stadsdeel_code as varchar) as stadsdeel_code,
    cast(aandeel_van_pc4 as double) as share_of_pc4_addresses
from {{ source('reference', 'amsterdam_postcode_areas') }}
where cast(is_hoofdwijk as integer) = 1
