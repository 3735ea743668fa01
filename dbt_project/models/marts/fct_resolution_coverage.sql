-- Coverage of supplier resolution: per anchor and method, how many creditors, lines and euros, and
-- the share of the anchor's spend (euros, not only lines) that each method resolved.
with

matches as (

    select * from {{ ref('stg_resolution__supplier_matches') }}

),

per_method as (

    select
        anchor_code,
        resolution_method,
        resolution_status,
        count(*) as n_suppliers,
        cast(sum(n_lines) as bigint) as n_lines,
        cast(sum(spend_eur) as decimal(18, 2)) as spend_eur
    from matches
    group by anchor_code, resolution_method, resolution_status

)

select
    *,
    cast(spend_eur as double)
    / nullif(cast(sum(spend_eur) over (partition by anchor_code) as double), 0) as spend_share
from per_method
