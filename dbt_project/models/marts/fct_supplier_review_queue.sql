-- The review queue: creditors whose best match fell below the auto-accept threshold, largest spend
-- first, with their candidates and why. Analysts record decisions in data/overrides/supplier_matches.csv.
-- No names here (a sole trader's name is personal data and never leaves the working layers): the
-- creditor is identified by its number, candidates by vestigingsnummer; the names are in
-- resolution.supplier_matches for the analysts who do the review.
with

matches as (

    select * from {{ ref('stg_resolution__supplier_matches') }}

)

select
    anchor_code,
    supplier_ref,
    resolution_method,
    confidence,
    -- the candidates without their names
    cast(to_json(from_json(
        candidates,
        '[{"vestigingsnummer": "VARCHAR", "postcode": "VARCHAR", "score": "DOUBLE", "why": "VARCHAR"}]'
    )) as varchar) as candidates,
    n_lines,
    spend_eur,
    row_number() over (partition by anchor_code order by spend_eur desc, supplier_ref) as priority
from matches
where resolution_status = 'review'
